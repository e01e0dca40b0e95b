// Votes of one height, tallied by round, step and value. As in the paper, a count "2f + 1
// PREVOTE(h, r, id(v))" is over the validators that sent that message: an equivocating validator
// counts toward each value it signed. Counting only first votes would let an equivocator show one
// value to some nodes and another to the rest, so that a proof-of-lock one node sees could never
// be shown to the others, and a locked honest node could be stuck forever.
//
// To stay bounded, a vote that conflicts with one already held is counted only for a relevant
// value (nil, or the block of a proposal held); either way the pair is kept as evidence.

import { type Bytes, toHex } from '../bytes.ts'
import { type Vote, VoteStep } from '../types/chain.ts'

/** Tally key of a value: hex of the block hash, or 'nil'. */
export const NIL_KEY = 'nil'

export function valueKey(blockHash: Bytes | null): string {
  return blockHash === null ? NIL_KEY : toHex(blockHash)
}

export interface ValueTally {
  shares: number
  /** Vote of each validator for this value, by index. */
  votes: (Vote | undefined)[]
}

export interface StepTally {
  /** First vote of each validator, by index. */
  first: (Vote | undefined)[]
  byValue: Map<string, ValueTally>
  /** Shares of all validators that voted, each once whatever its values. */
  total: number
  /** The value key that first reached a quorum, if any (only one can, with under 1/3 faulty). */
  quorumValue: string | null
}

export interface RoundVotes {
  prevotes: StepTally
  precommits: StepTally
  /** Shares of the validators that sent any vote in this round (for round skipping). */
  senderShares: number
  senders: boolean[]
  // "for the first time" guards of the paper's rules, per round
  prevoteTimeoutScheduled: boolean
  precommitTimeoutScheduled: boolean
  validUpdated: boolean
}

function emptyTally(size: number): StepTally {
  return { first: new Array(size), byValue: new Map(), total: 0, quorumValue: null }
}

export function emptyRound(size: number): RoundVotes {
  return {
    prevotes: emptyTally(size),
    precommits: emptyTally(size),
    senderShares: 0,
    senders: new Array<boolean>(size).fill(false),
    prevoteTimeoutScheduled: false,
    precommitTimeoutScheduled: false,
    validUpdated: false,
  }
}

export function tallyOf(round: RoundVotes, step: VoteStep): StepTally {
  return step === VoteStep.Prevote ? round.prevotes : round.precommits
}

export type Classification = { kind: 'new' } | { kind: 'duplicate' } | { kind: 'conflict'; first: Vote }

/** What `vote` is relative to those held, without changing anything: lets callers skip signature checks. */
export function classify(round: RoundVotes, vote: Vote): Classification {
  const tally = tallyOf(round, vote.step)
  const first = tally.first[vote.validator]
  if (!first) return { kind: 'new' }
  if (tally.byValue.get(valueKey(vote.blockHash))?.votes[vote.validator]) return { kind: 'duplicate' }
  return { kind: 'conflict', first }
}

/** Counts a correctly signed vote that classify() found new or conflicting. */
export function addVote(round: RoundVotes, vote: Vote, shares: number, quorum: number): void {
  const tally = tallyOf(round, vote.step)
  if (!tally.first[vote.validator]) {
    tally.first[vote.validator] = vote
    tally.total += shares
  }
  const key = valueKey(vote.blockHash)
  let value = tally.byValue.get(key)
  if (!value) {
    value = { shares: 0, votes: new Array(round.senders.length) }
    tally.byValue.set(key, value)
  }
  value.votes[vote.validator] = vote
  value.shares += shares
  if (tally.quorumValue === null && value.shares >= quorum) tally.quorumValue = key
  if (!round.senders[vote.validator]) {
    round.senders[vote.validator] = true
    round.senderShares += shares
  }
}

export function sharesFor(tally: StepTally, key: string): number {
  return tally.byValue.get(key)?.shares ?? 0
}

/** The votes for one value, e.g. to aggregate into a commit. */
export function votesFor(tally: StepTally, key: string): Vote[] {
  return (tally.byValue.get(key)?.votes ?? []).filter((v): v is Vote => v !== undefined)
}

export function allVotes(round: RoundVotes): Vote[] {
  const out: Vote[] = []
  for (const tally of [round.prevotes, round.precommits]) {
    for (const value of tally.byValue.values()) for (const v of value.votes) if (v) out.push(v)
  }
  return out
}
