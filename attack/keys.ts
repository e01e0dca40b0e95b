// Keys an attacker holds: throwaway Ed25519 accounts (node:crypto) and, for the far-round attack,
// a validator's BLS key read from its home (docs/protocol.md sections 5 and 9).

import { SecretKey } from '@chainsafe/blst'
import { type KeyObject, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { type Chain, type SignatureKind, type UnsignedTx, encodeTx, fromHex, signingBytes, txSigningMessage } from './wire.ts'

// RFC 8410 DER prefixes around a raw 32-byte Ed25519 key
const SPKI_PREFIX = fromHex('302a300506032b6570032100')
const PKCS8_PREFIX = fromHex('302e020100300506032b657004220420')

export interface Account {
  publicKey: Uint8Array
  key: KeyObject
}

/** A fresh account: any Ed25519 key is one, with nonce 0. */
export function freshAccount(): Account {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const spki = publicKey.export({ format: 'der', type: 'spki' })
  return { publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)), key: privateKey }
}

export function accountFromSeed(seed: Uint8Array): Account {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return { publicKey: new Uint8Array(spki.subarray(SPKI_PREFIX.length)), key }
}

export function signEd25519(account: Account, chain: Chain, kind: SignatureKind, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, signingBytes(chain, kind, message), account.key))
}

/** An encoded transaction signed by `account` (its public key is the sender). */
export function signedTx(account: Account, chain: Chain, tx: Omit<UnsignedTx, 'sender'>): Uint8Array {
  const unsigned = { ...tx, sender: account.publicKey }
  return encodeTx(chain, unsigned, signEd25519(account, chain, 'tx', txSigningMessage(chain, unsigned)))
}

export interface ValidatorKey {
  publicKey: Uint8Array
  sign(chain: Chain, kind: SignatureKind, message: Uint8Array): Uint8Array
}

/** A validator's BLS key from `<home>/keys/validator.key` (a hex seed; the key is KeyGen(seed)). */
export async function validatorKeyFromHome(home: string): Promise<ValidatorKey> {
  const seed = fromHex((await readFile(`${home}/keys/validator.key`, 'utf8')).trim())
  const secret = SecretKey.fromKeygen(seed)
  return {
    publicKey: secret.toPublicKey().toBytes(true),
    sign: (chain, kind, message) => secret.sign(signingBytes(chain, kind, message)).toBytes(true),
  }
}
