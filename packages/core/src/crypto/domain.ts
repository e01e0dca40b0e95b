// Domain separation for every signature p2pnode makes. The signed bytes commit to the protocol
// version, the network, the entity and the kind of object, so a signature lifted from one context
// (a testnet, another entity's chain, a transaction instead of a vote) never verifies in another.

import { type Bytes, utf8 } from '../bytes.ts'
import { encodeRlp } from '../codec/rlp.ts'
import { sha256 } from '../hash.ts'

/** Bumped only if the layout of signing bytes changes; old signatures then stop verifying. */
export const SIGNING_PROTOCOL = 'p2pnode/1'

export const SignatureKind = {
  Tx: 'tx',
  Vote: 'vote',
  /** A consensus block proposal, not a governance proposal (those are transactions). */
  Proposal: 'proposal',
  Frame: 'frame',
  /** A validator's proof that it holds the secret key of its BLS public key. */
  Possession: 'possession',
} as const

export type SignatureKind = (typeof SignatureKind)[keyof typeof SignatureKind]

export interface SigningDomain {
  network: string
  entity: Bytes
  kind: SignatureKind
}

/**
 * The 32 bytes a key actually signs. RLP keeps the fields apart (no concatenation ambiguity
 * between, say, network "ab" + entity "c" and network "a" + entity "bc"), and hashing gives
 * BLS and Ed25519 a short fixed-size input however large the message.
 */
export function signingBytes(domain: SigningDomain, message: Bytes): Bytes {
  return sha256(
    encodeRlp([utf8(SIGNING_PROTOCOL), utf8(domain.network), domain.entity, utf8(domain.kind), message]),
  )
}
