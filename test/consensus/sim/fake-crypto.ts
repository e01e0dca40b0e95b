// A fast, deterministic stand-in for BLS in the simulated network: a "signature" is a hash of the
// signer's public key, the domain and the message, widened to 96 bytes; an aggregate is the XOR
// of its parts (order-free, as a BLS aggregate is). Anyone could forge these; the simulated
// byzantine validators simply do not, since they sign only with their own keys.

import { createHash } from 'node:crypto'
import type { Bytes } from '../../../packages/core/src/bytes.ts'
import { utf8 } from '../../../packages/core/src/bytes.ts'
import type { ConsensusCrypto } from '../../../packages/core/src/consensus/index.ts'

const SIG_LENGTH = 96

function fakeSign(domain: Bytes, kind: number, publicKey: Bytes, message: Bytes): Bytes {
  const h = createHash('sha256').update(domain).update(new Uint8Array([kind])).update(publicKey).update(message).digest()
  const out = new Uint8Array(SIG_LENGTH)
  out.set(h, 0)
  out.set(h, 32)
  out.set(h, 64)
  return out
}

function sameBytes(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function xorInto(acc: Uint8Array, sig: Bytes): void {
  for (let i = 0; i < SIG_LENGTH; i++) acc[i]! ^= sig[i] ?? 0
}

/** Fake key material: the public key is 48 bytes derived from the validator number. */
export function fakePublicKey(network: string, id: number): Bytes {
  const h = createHash('sha256').update(utf8(`${network}/validator/${id}`)).digest()
  const out = new Uint8Array(48)
  out.set(h, 0)
  out.set(h.subarray(0, 16), 32)
  return out
}

export function createFakeCrypto(network: string, entity: Bytes, publicKey: Bytes | null): ConsensusCrypto {
  const domain = createHash('sha256').update(utf8(network)).update(entity).digest()
  const key = (): Bytes => {
    if (!publicKey) throw new Error('no key')
    return publicKey
  }
  return {
    signVote: (message) => fakeSign(domain, 1, key(), message),
    verifyVote: (pk, message, signature) => sameBytes(fakeSign(domain, 1, pk, message), signature),
    signProposal: (message) => fakeSign(domain, 2, key(), message),
    verifyProposal: (pk, message, signature) => sameBytes(fakeSign(domain, 2, pk, message), signature),
    aggregate: (signatures) => {
      const acc = new Uint8Array(SIG_LENGTH)
      for (const s of signatures) xorInto(acc, s)
      return acc
    },
    verifyCommit: (pks, message, signature) => {
      if (pks.length === 0) return false
      const acc = new Uint8Array(SIG_LENGTH)
      for (const pk of pks) xorInto(acc, fakeSign(domain, 1, pk, message))
      return sameBytes(acc, signature)
    },
  }
}
