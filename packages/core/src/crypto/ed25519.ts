// Account keys: Ed25519 through node:crypto, about 18 times faster than a pure-JS curve.
// node:crypto takes keys only as KeyObjects, so raw 32-byte keys are wrapped in fixed DER
// headers. Building a KeyObject is a large share of a verify (measured: 7,600 verifies/s with a
// reused KeyObject, 4,200/s rebuilt each time), hence the caches.

import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { type Bytes, fromHex, toHex } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { sha256 } from '../hash.ts'
import { type SigningDomain, signingBytes } from './domain.ts'

export const ED25519_SEED_LENGTH = 32
export const ED25519_PUBLIC_KEY_LENGTH = 32
export const ED25519_SIGNATURE_LENGTH = 64
export const ADDRESS_LENGTH = 20

/** Verification keys seen recently: every sender's key, so large. */
export const ED25519_PUBLIC_CACHE_SIZE = 10_000
/** Signing keys: a node hosts a handful of accounts, so small. */
export const ED25519_SECRET_CACHE_SIZE = 1_000

// PKCS#8 and SPKI headers for an Ed25519 key (RFC 8410); the raw key follows each.
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')
const SPKI_PREFIX = fromHex('302a300506032b6570032100')

// Encodings (sign bit ignored) of the y coordinates of the eight points of small order. OpenSSL
// accepts them as public keys, and for such a key signatures can be forged without any secret:
// with the all-zero key, an all-zero signature verifies for about one message in four.
const SMALL_ORDER_Y = [
  '0000000000000000000000000000000000000000000000000000000000000000', // y = 0, order 4
  '0100000000000000000000000000000000000000000000000000000000000000', // y = 1, order 1
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // y = -1, order 2
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
]

const publicKeys = new Map<string, KeyObject>()
const secretKeys = new Map<string, KeyObject>()

export interface Ed25519KeyPair {
  /** The 32-byte seed (RFC 8032 private key). */
  secretKey: Bytes
  publicKey: Bytes
}

export function ed25519KeyFromSeed(seed: Bytes): Ed25519KeyPair {
  const key = secretKeyObject(seed)
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return {
    secretKey: new Uint8Array(seed),
    publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)),
  }
}

export function signEd25519(secretKey: Bytes, domain: SigningDomain, message: Bytes): Bytes {
  return new Uint8Array(sign(null, signingBytes(domain, message), secretKeyObject(secretKey)))
}

/** False for any signature that does not verify, including malformed ones; throws only for a bad key. */
export function verifyEd25519(publicKey: Bytes, domain: SigningDomain, message: Bytes, signature: Bytes): boolean {
  const key = publicKeyObject(publicKey)
  if (signature.length !== ED25519_SIGNATURE_LENGTH) return false
  try {
    return verify(null, signingBytes(domain, message), key, signature)
  } catch {
    return false
  }
}

/** An account's address: the first 20 bytes of sha256(publicKey). */
export function addressOf(publicKey: Bytes): Bytes {
  checkPublicKey(publicKey)
  return sha256(publicKey).subarray(0, ADDRESS_LENGTH)
}

/** True for 32 bytes that decode to a usable (canonical, not small-order) public key. */
export function isValidEd25519PublicKey(publicKey: Bytes): boolean {
  try {
    publicKeyObject(publicKey)
    return true
  } catch {
    return false
  }
}

function checkPublicKey(publicKey: Bytes): void {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LENGTH) {
    throw new CoreError(ErrorCode.CryptoBadKey, `Ed25519 public key must be 32 bytes, got ${publicKey.length}`)
  }
  if (isNonCanonical(publicKey) || isSmallOrder(publicKey)) {
    throw new CoreError(ErrorCode.CryptoBadKey, 'Ed25519 public key is non-canonical or of small order', {
      publicKey: toHex(publicKey),
    })
  }
}

/** y >= p = 2^255 - 19: a second encoding of a key, which would give it a second address. */
function isNonCanonical(publicKey: Bytes): boolean {
  if ((publicKey[31]! & 0x7f) !== 0x7f || publicKey[0]! < 0xed) return false
  for (let i = 1; i < 31; i++) if (publicKey[i] !== 0xff) return false
  return true
}

function isSmallOrder(publicKey: Bytes): boolean {
  const y = new Uint8Array(publicKey)
  y[31]! &= 0x7f
  return SMALL_ORDER_Y.includes(toHex(y))
}

function publicKeyObject(publicKey: Bytes): KeyObject {
  const hex = toHex(publicKey)
  const cached = publicKeys.get(hex)
  if (cached) return cached
  checkPublicKey(publicKey)
  let key: KeyObject
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
  } catch (err) {
    throw new CoreError(ErrorCode.CryptoBadKey, `Ed25519 public key does not parse: ${(err as Error).message}`)
  }
  remember(publicKeys, hex, key, ED25519_PUBLIC_CACHE_SIZE)
  return key
}

function secretKeyObject(seed: Bytes): KeyObject {
  if (seed.length !== ED25519_SEED_LENGTH) {
    throw new CoreError(ErrorCode.CryptoBadKey, `Ed25519 seed must be 32 bytes, got ${seed.length}`)
  }
  const hex = toHex(seed)
  const cached = secretKeys.get(hex)
  if (cached) return cached
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  remember(secretKeys, hex, key, ED25519_SECRET_CACHE_SIZE)
  return key
}

/** Map keeps insertion order, so the first key is the oldest entry. */
function remember<V>(cache: Map<string, V>, key: string, value: V, max: number): void {
  if (cache.size >= max) cache.delete(cache.keys().next().value!)
  cache.set(key, value)
}
