// Validator keys: BLS12-381 through @chainsafe/blst (native, 20-40 times faster than pure JS).
// Keys are 48-byte compressed G1 points, signatures 96-byte compressed G2 points, and only the
// compressed forms are accepted, so each key and signature has one encoding. Validators' keys
// come back on every vote, so keys are parsed and subgroup-checked once and then cached.
//
// fastAggregateVerify is only sound when every key's holder has proven possession of its secret
// (otherwise a "rogue" key chosen as a function of the others can forge an aggregate); whoever
// admits keys to a validator set must ensure that.

import { aggregateSignatures, fastAggregateVerify, PublicKey, SecretKey, Signature, verify } from '@chainsafe/blst'
import { type Bytes, toHex } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { SignatureKind, type SigningDomain, signingBytes } from './domain.ts'

export const BLS_SEED_MIN_LENGTH = 32
export const BLS_SECRET_KEY_LENGTH = 32
export const BLS_PUBLIC_KEY_LENGTH = 48
export const BLS_SIGNATURE_LENGTH = 96

/** Parsed validator keys: comfortably above MAX_VALIDATORS times a few entities. */
export const BLS_PUBLIC_CACHE_SIZE = 10_000
export const BLS_SECRET_CACHE_SIZE = 1_000

const publicKeys = new Map<string, PublicKey>()
const secretKeys = new Map<string, SecretKey>()

export interface BlsKeyPair {
  secretKey: Bytes
  publicKey: Bytes
}

/** Deterministic key generation (IETF BLS KeyGen); the seed must be at least 32 bytes. */
export function blsKeyFromSeed(seed: Bytes): BlsKeyPair {
  if (seed.length < BLS_SEED_MIN_LENGTH) {
    throw new CoreError(ErrorCode.CryptoBadKey, `BLS seed must be at least 32 bytes, got ${seed.length}`)
  }
  const sk = SecretKey.fromKeygen(seed)
  const secretKey = sk.toBytes()
  remember(secretKeys, toHex(secretKey), sk, BLS_SECRET_CACHE_SIZE)
  return { secretKey, publicKey: sk.toPublicKey().toBytes(true) }
}

export function signBls(secretKey: Bytes, domain: SigningDomain, message: Bytes): Bytes {
  return secretKeyObject(secretKey).sign(signingBytes(domain, message)).toBytes(true)
}

/** False for any signature that does not verify, including unparseable ones; throws for a bad key. */
export function verifyBls(publicKey: Bytes, domain: SigningDomain, message: Bytes, signature: Bytes): boolean {
  const pk = publicKeyObject(publicKey)
  const sig = parseSignature(signature)
  if (!sig) return false
  // Key and signature were both validated when parsed; no need to check them again here.
  return verify(signingBytes(domain, message), pk, sig, false, false)
}

/**
 * One signature standing for all; throws CryptoBadSignature if any does not parse or none is given.
 * Each signature is subgroup-checked (most of the cost: 13 ms for 128 rather than 5 ms) so that a
 * bad vote is caught here, naming its index, rather than as an aggregate that will not verify.
 */
export function aggregateBlsSignatures(signatures: Bytes[]): Bytes {
  if (signatures.length === 0) {
    throw new CoreError(ErrorCode.CryptoBadSignature, 'no BLS signatures to aggregate')
  }
  const parsed = signatures.map((signature, index) => {
    const sig = parseSignature(signature)
    if (!sig) throw new CoreError(ErrorCode.CryptoBadSignature, `BLS signature ${index} does not parse`, { index })
    return sig
  })
  return aggregateSignatures(parsed, false).toBytes(true) // already checked above
}

/**
 * Checks an aggregate of signatures by all of `publicKeys` over one message. False for an empty
 * key list or an unparseable signature; throws CryptoBadKey for a key that does not parse.
 */
export function fastAggregateVerifyBls(
  publicKeys: Bytes[],
  domain: SigningDomain,
  message: Bytes,
  signature: Bytes,
): boolean {
  const pks = publicKeys.map(publicKeyObject)
  if (pks.length === 0) return false
  const sig = parseSignature(signature)
  if (!sig) return false
  return fastAggregateVerify(signingBytes(domain, message), pks, sig, false)
}

/**
 * Proof of possession: the key's own signature over its public key, in a domain of its own that
 * names no network or entity (possession does not depend on where the key is used). Checked
 * whenever a key enters a validator set, it rules out rogue-key forgeries of aggregates.
 */
const POSSESSION_DOMAIN: SigningDomain = { network: '', entity: new Uint8Array(0), kind: SignatureKind.Possession }

export function proveBlsPossession(secretKey: Bytes): Bytes {
  const publicKey = secretKeyObject(secretKey).toPublicKey().toBytes(true)
  return signBls(secretKey, POSSESSION_DOMAIN, publicKey)
}

/** False for a proof that does not verify or a key that does not parse. */
export function verifyBlsPossession(publicKey: Bytes, proof: Bytes): boolean {
  try {
    return verifyBls(publicKey, POSSESSION_DOMAIN, publicKey, proof)
  } catch {
    return false
  }
}

/** 48 bytes of a compressed point in the G1 subgroup, not the point at infinity. */
export function isValidBlsPublicKey(bytes: Bytes): boolean {
  try {
    publicKeyObject(bytes)
    return true
  } catch {
    return false
  }
}

function publicKeyObject(bytes: Bytes): PublicKey {
  const hex = toHex(bytes)
  const cached = publicKeys.get(hex)
  if (cached) return cached
  if (bytes.length !== BLS_PUBLIC_KEY_LENGTH) {
    throw new CoreError(ErrorCode.CryptoBadKey, `BLS public key must be 48 bytes, got ${bytes.length}`)
  }
  let pk: PublicKey
  try {
    pk = PublicKey.fromBytes(bytes, true)
  } catch (err) {
    throw new CoreError(ErrorCode.CryptoBadKey, `BLS public key is invalid: ${(err as Error).message}`, {
      publicKey: hex,
    })
  }
  remember(publicKeys, hex, pk, BLS_PUBLIC_CACHE_SIZE)
  return pk
}

function secretKeyObject(bytes: Bytes): SecretKey {
  if (bytes.length !== BLS_SECRET_KEY_LENGTH) {
    throw new CoreError(ErrorCode.CryptoBadKey, `BLS secret key must be 32 bytes, got ${bytes.length}`)
  }
  const hex = toHex(bytes)
  const cached = secretKeys.get(hex)
  if (cached) return cached
  let sk: SecretKey
  try {
    sk = SecretKey.fromBytes(bytes)
  } catch (err) {
    throw new CoreError(ErrorCode.CryptoBadKey, `BLS secret key is invalid: ${(err as Error).message}`)
  }
  remember(secretKeys, hex, sk, BLS_SECRET_CACHE_SIZE)
  return sk
}

/** Null for anything but a compressed G2 subgroup point other than infinity. */
function parseSignature(bytes: Bytes): Signature | null {
  if (bytes.length !== BLS_SIGNATURE_LENGTH) return null
  try {
    return Signature.fromBytes(bytes, true, true)
  } catch {
    return null
  }
}

/** Map keeps insertion order, so the first key is the oldest entry. */
function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): void {
  if (cache.size >= max) cache.delete(cache.keys().next().value!)
  cache.set(key, value)
}
