// What the rules do: start a round, propose, vote, schedule a timeout, ask the host for a block
// or a verdict, decide. Shared by the event handlers (engine.ts), the rules (rules.ts) and the
// restart path (restore.ts). Each writes its effects to ctx.out in the order the host must apply.

import { type Bytes, toHex } from '../bytes.ts'
import { voteSigningMessage } from '../codec/objects.ts'
import { type Commit, type Vote, VoteStep } from '../types/chain.ts'
import { buildCommit } from './commit.ts'
import { holdBlock, pruneHeld } from './held-blocks.ts'
import type { ConsensusCrypto } from './crypto.ts'
import { type TimeoutParams, timeoutMs } from './params.ts'
import { proposalSigningMessage } from './proposal.ts'
import { type ConsensusState, ownVoteKey, roundVotes } from './state.ts'
import { type ConsensusBlock, type ConsensusEffect, type Proposal, Step, type TimeoutStep } from './types.ts'
import { addVote, classify, NIL_KEY, valueKey, votesFor } from './vote-set.ts'

export interface EngineInit {
  network: string
  entity: Bytes
  /** This node's validator key; omit for a node that follows without voting. */
  publicKey?: Bytes
  crypto: ConsensusCrypto
  /** Defaults to DEFAULT_TIMEOUTS. */
  timeouts?: TimeoutParams
}

/** What one step() works on. `tail` effects go after everything else the step emits. */
export interface Ctx {
  s: ConsensusState
  out: ConsensusEffect[]
  tail: ConsensusEffect[]
  init: EngineInit
  timeouts: TimeoutParams
}

/**
 * StartRound(round), lines 11-21. The propose timeout is scheduled by the proposer too, so that a
 * proposer that cannot prevote its own proposal (no POL for its validRound) still moves on.
 */
export function startRound(ctx: Ctx, round: number): void {
  const s = ctx.s
  s.round = round
  s.step = Step.Propose
  s.building = -1
  // Proposals that arrived ahead of their round are validated now that it has come (held-blocks.ts).
  for (const r of [round, round + 1]) {
    const p = s.proposals.get(r)
    if (p) requestValidity(ctx, p.block, r)
  }
  pruneHeld(s)
  if (s.signing && s.schedule!.proposer(s.height, round) === s.self) {
    const valid = s.validValue ? s.blocks.get(toHex(s.validValue)) : undefined
    if (valid) {
      proposeOwn(ctx, valid, s.validRound)
    } else {
      s.building = round
      ctx.out.push({ type: 'BuildProposal', height: s.height, round })
    }
  }
  scheduleTimeout(ctx, Step.Propose, round)
}

/**
 * Lines 16-19. The broadcast goes in the tail, after the PersistVote of our own prevote on it
 * (cast by the rules in the same step), so a restarted proposer, finding that prevote, resumes
 * past the propose step and never proposes a second block for the round.
 */
export function proposeOwn(ctx: Ctx, block: ConsensusBlock, validRound: number): void {
  const s = ctx.s
  const message = proposalSigningMessage({ height: s.height, round: s.round, validRound, blockHash: block.hash })
  const proposal: Proposal = {
    height: s.height,
    round: s.round,
    validRound,
    block,
    proposer: s.self,
    signature: ctx.init.crypto.signProposal(message),
  }
  s.proposals.set(s.round, proposal)
  holdBlock(s, block)
  s.validity.set(toHex(block.hash), true) // we built it, or a quorum prevoted it and we validated it then
  ctx.tail.push({ type: 'BroadcastProposal', proposal })
}

export function scheduleTimeout(ctx: Ctx, step: TimeoutStep, round: number): void {
  const t =
    step === Step.Propose ? ctx.timeouts.propose : step === Step.Prevote ? ctx.timeouts.prevote : ctx.timeouts.precommit
  ctx.out.push({ type: 'ScheduleTimeout', height: ctx.s.height, round, step, durationMs: timeoutMs(t, round) })
}

export function requestValidity(ctx: Ctx, block: ConsensusBlock, round: number): void {
  const s = ctx.s
  const key = toHex(block.hash)
  if (s.validity.has(key) || s.validating.has(key)) return
  s.validating.add(key)
  ctx.out.push({ type: 'ValidateBlock', height: s.height, round, block, blockHash: block.hash })
}

/** Asks the host for a block a quorum voted for; the hash is taken from one of those votes. */
export function requestBlock(ctx: Ctx, key: string, votes: Vote[]): void {
  const s = ctx.s
  if (s.requested.has(key)) return
  const vote = votes.find((v) => v.blockHash !== null)
  if (!vote) return
  s.requested.add(key)
  ctx.out.push({ type: 'RequestBlock', height: s.height, blockHash: vote.blockHash! })
}

/** Adds a vote already known to be new and correctly signed, and notes the thresholds it crosses. */
export function countVote(s: ConsensusState, vote: Vote): void {
  const rv = roundVotes(s, vote.round)
  addVote(rv, vote, s.weights.shares[vote.validator]!, s.weights.quorum)
  const q = rv.precommits.quorumValue
  if (vote.step === VoteStep.Precommit && q !== null && q !== NIL_KEY && !s.decisionRounds.includes(vote.round)) {
    s.decisionRounds.push(vote.round)
  }
  if (rv.senderShares >= s.weights.skip && vote.round > s.skipRound) s.skipRound = vote.round
}

/** Signs and sends a vote, unless one was signed before at this (round, step): the signer guard. */
export function castVote(ctx: Ctx, round: number, step: VoteStep, blockHash: Bytes | null): void {
  const s = ctx.s
  if (s.self < 0 || !s.signing) return
  const existing = s.ownVotes.get(ownVoteKey(round, step))
  if (existing) {
    if (valueKey(existing.blockHash) === valueKey(blockHash)) ctx.out.push({ type: 'BroadcastVote', vote: existing })
    return
  }
  const target = { height: s.height, round, step, blockHash }
  const vote: Vote = {
    network: ctx.init.network,
    entity: ctx.init.entity,
    ...target,
    validator: s.self,
    signature: ctx.init.crypto.signVote(voteSigningMessage(target)),
  }
  s.ownVotes.set(ownVoteKey(round, step), vote)
  const block = blockHash ? s.blocks.get(toHex(blockHash)) : undefined
  ctx.out.push(block ? { type: 'PersistVote', vote, block } : { type: 'PersistVote', vote }, { type: 'BroadcastVote', vote })
  if (classify(roundVotes(s, round), vote).kind === 'new') countVote(s, vote)
}

export function decide(ctx: Ctx, block: ConsensusBlock, commit: Commit): void {
  const s = ctx.s
  s.step = Step.Decided
  s.decision = { block, commit }
  ctx.out.push({ type: 'CommitBlock', height: s.height, block, blockHash: block.hash, commit })
}

/** Line 49: decide on a precommit quorum of any round once its block is known and valid. */
export function tryDecide(ctx: Ctx): boolean {
  const s = ctx.s
  for (const round of s.decisionRounds) {
    const rv = s.rounds.get(round)!
    const key = rv.precommits.quorumValue!
    const block = s.blocks.get(key)
    if (!block) {
      requestBlock(ctx, key, votesFor(rv.precommits, key))
      continue
    }
    const valid = s.validity.get(key)
    if (valid === undefined) requestValidity(ctx, block, round)
    if (valid !== true) continue
    const precommits = votesFor(rv.precommits, key)
    decide(ctx, block, buildCommit(s.height, round, block.hash, precommits, s.validators.length, ctx.init.crypto))
    return true
  }
  return false
}
