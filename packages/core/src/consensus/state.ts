// The engine's state for one node: the paper's variables (h_p, round_p, step_p, lockedValue,
// lockedRound, validValue, validRound, decision) plus what the paper leaves to its message log:
// proposals, blocks and their validity, tallied votes, own signed votes, evidence.
//
// Ownership: step() updates the state it is given and returns it, so that a vote costs O(1)
// rather than a copy of every tally. Callers keep only the returned state; the engine is still
// deterministic, with no clock, randomness or I/O.

import type { Bytes } from '../bytes.ts'
import type { Commit, Threshold, Validator, Vote } from '../types/chain.ts'
import { ProposerSchedule } from './proposer.ts'
import type { ConsensusBlock, Evidence, Proposal } from './types.ts'
import { Step } from './types.ts'
import { DEFAULT_THRESHOLD } from './params.ts'
import { allVotes, emptyRound, type RoundVotes } from './vote-set.ts'
import type { Weights } from './weights.ts'

/** Evidence kept in the state for the host to collect; the oldest goes first past this. */
export const MAX_KEPT_EVIDENCE = 1_000

export interface Decision {
  block: ConsensusBlock
  commit: Commit
}

export interface ConsensusState {
  /** 0 until the first StartHeight. */
  height: number
  round: number
  step: Step
  validators: Validator[]
  threshold: Threshold
  weights: Weights
  schedule: ProposerSchedule | null
  /** This node's index in the set of this height, or -1 when it does not vote here. */
  self: number
  /**
   * False when the height was started with `sign: false`: the node follows, counts votes and
   * decides, but signs no vote and no proposal (e.g. its signer record says it signed higher).
   */
  signing: boolean
  lockedValue: Bytes | null
  lockedRound: number
  validValue: Bytes | null
  validRound: number
  /** The first correctly signed proposal of each round from that round's proposer. */
  proposals: Map<number, Proposal>
  /** Blocks by hash hex: from proposals, our own, or fetched after RequestBlock (held-blocks.ts). */
  blocks: Map<string, ConsensusBlock>
  /** Bytes of the blocks in `blocks`, bounded by MAX_HELD_BLOCK_BYTES for the optional ones. */
  heldBytes: number
  /** The host's verdicts, by hash hex. */
  validity: Map<string, boolean>
  validating: Set<string>
  requested: Set<string>
  rounds: Map<number, RoundVotes>
  /** Votes this node signed at this height, by `${round}/${step}`: the double-sign guard. */
  ownVotes: Map<string, Vote>
  /** The round whose BuildProposal awaits its ProposalValue, or -1. */
  building: number
  /** Rounds with a precommit quorum for a block (paper line 49 candidates). */
  decisionRounds: number[]
  /** Highest round from which more than a third of the shares have voted (paper line 55). */
  skipRound: number
  decision: Decision | null
  evidence: Evidence[]
  evidenceSeen: Set<string>
}

/** The fields every new height starts afresh (round 0, no lock, nothing held). */
export function freshHeightFields() {
  return {
    round: 0,
    step: Step.Propose,
    lockedValue: null,
    lockedRound: -1,
    validValue: null,
    validRound: -1,
    proposals: new Map(),
    blocks: new Map(),
    heldBytes: 0,
    validity: new Map(),
    validating: new Set(),
    requested: new Set(),
    rounds: new Map(),
    ownVotes: new Map(),
    building: -1,
    decisionRounds: [],
    skipRound: -1,
    decision: null,
  } satisfies Partial<ConsensusState>
}

export function initialState(): ConsensusState {
  return {
    ...freshHeightFields(),
    height: 0,
    validators: [],
    threshold: DEFAULT_THRESHOLD,
    weights: { shares: [], total: 0, quorum: 1, skip: 1 },
    schedule: null,
    self: -1,
    signing: true,
    evidence: [],
    evidenceSeen: new Set(),
  }
}

export function ownVoteKey(round: number, step: number): string {
  return `${round}/${step}`
}

export function roundVotes(state: ConsensusState, round: number): RoundVotes {
  let rv = state.rounds.get(round)
  if (!rv) {
    rv = emptyRound(state.validators.length)
    state.rounds.set(round, rv)
  }
  return rv
}

/** Every vote held for the current height, e.g. for a host that re-gossips while stuck. */
export function heldVotes(state: ConsensusState): Vote[] {
  const out: Vote[] = []
  for (const rv of state.rounds.values()) out.push(...allVotes(rv))
  return out
}

/** Every proposal held for the current height. */
export function heldProposals(state: ConsensusState): Proposal[] {
  return [...state.proposals.values()]
}
