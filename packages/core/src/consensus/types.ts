// The data of the consensus engine: what goes in (events), what comes out (effects) and the
// proposal message. Blocks are opaque here: the host hashes, decodes and validates them.

import type { Bytes } from '../bytes.ts'
import type { Commit, Threshold, Validator, Vote } from '../types/chain.ts'

/**
 * A block as the engine sees it. The host must check that `hash` is the hash of `bytes` before
 * handing a block in: the engine takes the hash as the block's identity.
 */
export interface ConsensusBlock {
  hash: Bytes
  bytes: Bytes
}

/** Steps of a round, ordered: "step >= prevote" in the paper is `step >= Step.Prevote`. */
export const Step = {
  Propose: 0,
  Prevote: 1,
  Precommit: 2,
  /** The height is decided; the engine waits for the next StartHeight. */
  Decided: 3,
} as const
export type Step = (typeof Step)[keyof typeof Step]

export type TimeoutStep = typeof Step.Propose | typeof Step.Prevote | typeof Step.Precommit

/** ⟨PROPOSAL, h, r, v, vr⟩ signed by the proposer of (h, r). validRound is -1 for a fresh value. */
export interface Proposal {
  height: number
  round: number
  validRound: number
  block: ConsensusBlock
  /** Index of the proposer in the validator set of this height. */
  proposer: number
  signature: Bytes
}

/** Two signed votes of one validator for the same height, round and step with different values. */
export interface Evidence {
  first: Vote
  second: Vote
}

export type ConsensusEvent =
  | {
      type: 'StartHeight'
      height: number
      validators: Validator[]
      threshold: Threshold
      /** This node's own votes at this height, as persisted before a restart. */
      restoredVotes?: Vote[]
      /** Blocks persisted with those votes (PersistVote.block), so a restored lock can be re-proposed. */
      restoredBlocks?: ConsensusBlock[]
      /**
       * `false`: follow this height without signing anything (no vote, no proposal) while still
       * counting votes and deciding on a quorum's commit. For a node whose signer high-water mark,
       * kept outside its database, says it already signed at this height or a later one, so that
       * it never signs below it. Default true.
       */
      sign?: boolean
    }
  | { type: 'ProposalReceived'; proposal: Proposal }
  | { type: 'VoteReceived'; vote: Vote }
  | { type: 'TimeoutFired'; height: number; round: number; step: TimeoutStep }
  | { type: 'BlockValidity'; blockHash: Bytes; valid: boolean }
  /** The block this node proposes, answering BuildProposal. */
  | { type: 'ProposalValue'; height: number; round: number; block: ConsensusBlock }
  /** A block asked for by RequestBlock (or otherwise fetched) for the current height. */
  | { type: 'BlockReceived'; height: number; block: ConsensusBlock }
  /** A quorum certificate and its block for the current height, e.g. from a peer that is ahead. */
  | { type: 'CommitReceived'; commit: Commit; block: ConsensusBlock }

export type ConsensusEffect =
  | { type: 'BuildProposal'; height: number; round: number }
  | { type: 'BroadcastProposal'; proposal: Proposal }
  /**
   * Always emitted before the BroadcastVote of the same vote: write it durably first. `block` is
   * the block voted for (absent for nil): persist it too, and hand it back in restoredBlocks.
   */
  | { type: 'PersistVote'; vote: Vote; block?: ConsensusBlock }
  | { type: 'BroadcastVote'; vote: Vote }
  | { type: 'ScheduleTimeout'; height: number; round: number; step: TimeoutStep; durationMs: number }
  | { type: 'ValidateBlock'; height: number; round: number; block: ConsensusBlock; blockHash: Bytes }
  | { type: 'CommitBlock'; height: number; block: ConsensusBlock; blockHash: Bytes; commit: Commit }
  /** A quorum voted for a block whose bytes we lack: fetch it and answer with BlockReceived. */
  | { type: 'RequestBlock'; height: number; blockHash: Bytes }
  | { type: 'Evidence'; evidence: Evidence }
