// The consensus objects of an entity's chain. Their canonical encodings are in codec/objects.ts;
// their limits are in limits.ts.

import type { Bytes } from '../bytes.ts'

export const TxKind = {
  CounterAdd: 'counter.add',
  KvSet: 'kv.set',
  KvDel: 'kv.del',
  ProposalCreate: 'proposal.create',
  ProposalVote: 'proposal.vote',
  /** Registers an entity in the root entity's registry (machines/registry.ts). */
  EntityCreate: 'entity.create',
} as const
export type TxKind = (typeof TxKind)[keyof typeof TxKind]
export const TX_KINDS: readonly string[] = Object.values(TxKind)

/**
 * A signed transaction. `sender` is the Ed25519 public key; the account it acts for is
 * `addressOf(sender)`. `nonce` is that account's next nonce, strictly one more than the last.
 * `payload` is the kind's own RLP (see machines/payloads.ts).
 */
export interface Transaction {
  network: string
  entity: Bytes
  sender: Bytes
  nonce: number
  kind: TxKind
  payload: Bytes
  signature: Bytes
}

export type UnsignedTransaction = Omit<Transaction, 'signature'>

export interface Validator {
  /** BLS12-381 public key, compressed (48 bytes): signs votes. */
  publicKey: Bytes
  /** Account address (20 bytes) whose Ed25519 key signs this validator's transactions. */
  account: Bytes
  /** Voting shares, a positive integer. */
  shares: number
}

/**
 * A validator as it is admitted to a set (in a genesis or a validators.set proposal): with its
 * proof of possession of the BLS secret key, checked on admission. The set in the state keeps
 * only the Validator fields.
 */
export interface ValidatorCandidate extends Validator {
  proofOfPossession: Bytes
}

/** Quorum threshold as a fraction of total shares; a quorum is strictly more than it. */
export interface Threshold {
  numerator: number
  denominator: number
}

export interface BlockHeader {
  network: string
  entity: Bytes
  height: number
  /** Milliseconds since the epoch, as the proposer saw it; never before the parent's. */
  time: number
  /** 32-byte hash of the parent header; for height 1 the genesis hash. */
  parentHash: Bytes
  /** Index of the proposer in the validator set of this height. */
  proposer: number
  /** sha256 over the RLP list of the block's encoded transactions. */
  txsHash: Bytes
  /** Entity state root after this block's transactions and proposals. */
  stateRoot: Bytes
  /** Hash of the validator set (and threshold) that must commit this block. */
  validatorsHash: Bytes
}

export interface Block {
  header: BlockHeader
  /** Canonically encoded transactions, in execution order. */
  txs: Bytes[]
}

export const VoteStep = {
  Prevote: 1,
  Precommit: 2,
} as const
export type VoteStep = (typeof VoteStep)[keyof typeof VoteStep]

export interface Vote {
  network: string
  entity: Bytes
  height: number
  round: number
  step: VoteStep
  /** Block hash voted for, or null for a nil vote. */
  blockHash: Bytes | null
  /** Index of the voter in the validator set of this height. */
  validator: number
  /** BLS signature (96 bytes) over the vote's signing bytes. */
  signature: Bytes
}

/**
 * A quorum certificate: precommits for one block at one height and round, with one aggregate
 * BLS signature and a bitmap of the validators (by index) whose signatures it aggregates.
 */
export interface Commit {
  height: number
  round: number
  blockHash: Bytes
  /** Bit i (byte i >> 3, bit i & 7, least significant first) set when validator i signed. */
  signers: Bytes
  signature: Bytes
}
