// The engine's signatures go through this interface, bound to one network and entity (the
// signing domain). The node uses the BLS implementation (bls-crypto.ts); the simulated network
// uses a fast fake for its thousand-scenario runs, since a BLS verify costs about a millisecond.

import type { Bytes } from '../bytes.ts'

export interface ConsensusCrypto {
  /** Signs a vote's signing message (voteSigningMessage) with this node's validator key. */
  signVote(message: Bytes): Bytes
  verifyVote(publicKey: Bytes, message: Bytes, signature: Bytes): boolean
  /** Signs a proposal's signing message (proposalSigningMessage). */
  signProposal(message: Bytes): Bytes
  verifyProposal(publicKey: Bytes, message: Bytes, signature: Bytes): boolean
  /** One signature standing for all of `signatures` (over the same vote message). */
  aggregate(signatures: Bytes[]): Bytes
  /** Checks an aggregate of vote signatures by all of `publicKeys` over one vote message. */
  verifyCommit(publicKeys: Bytes[], message: Bytes, signature: Bytes): boolean
}
