// The consensus engine: Algorithm 1 of "The latest gossip on BFT consensus" (Buchman, Kwon,
// Milosevic, 2018) as a function step(state, event) -> { state, effects }. Line numbers in the
// comments are the paper's; docs/consensus.md has the full table. Each event first updates the
// message log (proposals, votes, validity), then progress() applies the paper's "upon" rules
// until none fires, so the order in which messages arrive never matters to the outcome.

import { equals, toHex } from '../bytes.ts'
import { voteSigningMessage } from '../codec/objects.ts'
import { isCoreError } from '../errors.ts'
import { type Vote, VoteStep } from '../types/chain.ts'
import { castVote, countVote, type Ctx, decide, type EngineInit, proposeOwn, requestValidity, startRound } from './actions.ts'
import { verifyCommit } from './commit.ts'
import { fitsBudget, holdBlock, validatesNow } from './held-blocks.ts'
import { DEFAULT_TIMEOUTS, MAX_ROUNDS_AHEAD } from './params.ts'
import { proposalSigningMessage } from './proposal.ts'
import { ProposerSchedule } from './proposer.ts'
import { restoreOwnVotes } from './restore.ts'
import { applyRules } from './rules.ts'
import { type ConsensusState, MAX_KEPT_EVIDENCE, freshHeightFields, roundVotes } from './state.ts'
import { type ConsensusEffect, type ConsensusEvent, type Proposal, Step, type TimeoutStep } from './types.ts'
import { classify } from './vote-set.ts'
import { computeWeights } from './weights.ts'

export type { EngineInit } from './actions.ts'

export interface StepResult {
  state: ConsensusState
  effects: ConsensusEffect[]
}

export interface Engine {
  step(state: ConsensusState, event: ConsensusEvent): StepResult
}

/** Bound on rule applications per event; each application changes round or step, so a few suffice. */
const MAX_RULE_PASSES = 64

export function createEngine(init: EngineInit): Engine {
  const timeouts = init.timeouts ?? DEFAULT_TIMEOUTS
  return {
    step(state, event) {
      const ctx: Ctx = { s: state, out: [], tail: [], init, timeouts }
      handle(ctx, event)
      if (state.height > 0 && state.step !== Step.Decided) {
        for (let i = 0; i < MAX_RULE_PASSES && applyRules(ctx); i++);
      }
      return { state, effects: ctx.tail.length ? ctx.out.concat(ctx.tail) : ctx.out }
    },
  }
}

function handle(ctx: Ctx, event: ConsensusEvent): void {
  const s = ctx.s
  switch (event.type) {
    case 'StartHeight':
      return startHeight(ctx, event)
    case 'ProposalReceived':
      return receiveProposal(ctx, event.proposal)
    case 'VoteReceived':
      return receiveVote(ctx, event.vote)
    case 'TimeoutFired':
      return timeoutFired(ctx, event.height, event.round, event.step)
    case 'BlockValidity': {
      const key = toHex(event.blockHash)
      s.validating.delete(key)
      s.validity.set(key, event.valid)
      return
    }
    case 'ProposalValue':
      if (event.height === s.height && event.round === s.round && s.step === Step.Propose && s.building === s.round) {
        s.building = -1
        proposeOwn(ctx, event.block, -1)
      }
      return
    case 'BlockReceived': {
      const key = toHex(event.block.hash)
      if (event.height === s.height && s.requested.has(key) && !s.blocks.has(key)) {
        requestValidity(ctx, holdBlock(s, event.block), s.round)
      }
      return
    }
    case 'CommitReceived':
      return receiveCommit(ctx, event)
  }
}

function startHeight(ctx: Ctx, e: Extract<ConsensusEvent, { type: 'StartHeight' }>): void {
  const s = ctx.s
  if (e.height <= s.height) return // never go back
  const weights = computeWeights(e.validators, e.threshold)
  const sameSet =
    s.schedule !== null &&
    s.validators.length === e.validators.length &&
    s.validators.every((v, i) => v.shares === e.validators[i]!.shares && equals(v.publicKey, e.validators[i]!.publicKey))
  Object.assign(s, {
    ...freshHeightFields(),
    height: e.height,
    validators: e.validators,
    threshold: e.threshold,
    weights,
    schedule: sameSet ? s.schedule : new ProposerSchedule(e.validators),
    self: ctx.init.publicKey ? e.validators.findIndex((v) => equals(v.publicKey, ctx.init.publicKey!)) : -1,
    signing: e.sign !== false,
  } satisfies Partial<ConsensusState>)
  const restored = (e.restoredVotes ?? []).filter(
    (v) => v.height === e.height && v.validator === s.self && s.self >= 0,
  )
  if (restored.length === 0) return startRound(ctx, 0)
  restoreOwnVotes(ctx, restored, e.restoredBlocks ?? [])
}

/**
 * Takes a proposal of the current height from its round's proposer. Only those of the current and
 * next round are validated at once; the others wait for their round, and are held only within the
 * byte budget (held-blocks.ts): each validation is a block execution for the host, and a byzantine
 * proposer can sign a block for every round it is scheduled in.
 */
function receiveProposal(ctx: Ctx, p: Proposal): void {
  const s = ctx.s
  if (s.height === 0 || p.height !== s.height || s.step === Step.Decided) return
  if (p.round > s.round + MAX_ROUNDS_AHEAD || s.proposals.has(p.round)) return // the first one wins
  if (p.validRound < -1 || p.validRound >= p.round) return
  if (p.proposer !== s.schedule!.proposer(s.height, p.round)) return
  const now = validatesNow(s, p.round)
  if (!now && !s.blocks.has(toHex(p.block.hash)) && !fitsBudget(s, p.block.bytes.length)) return
  const proposer = s.validators[p.proposer]!
  const message = proposalSigningMessage({ height: p.height, round: p.round, validRound: p.validRound, blockHash: p.block.hash })
  if (!ctx.init.crypto.verifyProposal(proposer.publicKey, message, p.signature)) return
  const block = holdBlock(s, p.block)
  s.proposals.set(p.round, block === p.block ? p : { ...p, block })
  if (now) requestValidity(ctx, block, p.round)
}

function receiveVote(ctx: Ctx, vote: Vote): void {
  const s = ctx.s
  if (s.height === 0 || vote.height !== s.height || s.step === Step.Decided) return
  if (vote.network !== ctx.init.network || !equals(vote.entity, ctx.init.entity)) return
  if (vote.round > s.round + MAX_ROUNDS_AHEAD) return
  if (vote.step !== VoteStep.Prevote && vote.step !== VoteStep.Precommit) return
  const validator = s.validators[vote.validator]
  if (!validator) return
  const rv = roundVotes(s, vote.round)
  const verdict = classify(rv, vote)
  if (verdict.kind === 'duplicate') return // checked before the signature: duplicates are the common case
  const evidenceKey = `${vote.validator}/${vote.round}/${vote.step}`
  const relevant = verdict.kind === 'new' || vote.blockHash === null || heldProposalBlock(s, vote.blockHash)
  if (!relevant && s.evidenceSeen.has(evidenceKey)) return
  if (!ctx.init.crypto.verifyVote(validator.publicKey, voteSigningMessage(vote), vote.signature)) return
  if (verdict.kind === 'conflict' && !s.evidenceSeen.has(evidenceKey)) {
    s.evidenceSeen.add(evidenceKey)
    const evidence = { first: verdict.first, second: vote }
    s.evidence.push(evidence)
    if (s.evidence.length > MAX_KEPT_EVIDENCE) s.evidence.shift()
    ctx.out.push({ type: 'Evidence', evidence })
  }
  if (relevant) countVote(s, vote)
}

/** Whether a block is that of some proposal we hold: a conflicting vote for it is worth counting. */
function heldProposalBlock(s: ConsensusState, hash: Uint8Array): boolean {
  for (const p of s.proposals.values()) if (equals(p.block.hash, hash)) return true
  return false
}

function timeoutFired(ctx: Ctx, height: number, round: number, step: TimeoutStep): void {
  const s = ctx.s
  if (height !== s.height || round !== s.round || s.step === Step.Decided) return
  if (step === Step.Propose && s.step === Step.Propose) {
    castVote(ctx, round, VoteStep.Prevote, null) // line 57
    s.step = Step.Prevote
  } else if (step === Step.Prevote && s.step === Step.Prevote) {
    castVote(ctx, round, VoteStep.Precommit, null) // line 61
    s.step = Step.Precommit
  } else if (step === Step.Precommit) {
    startRound(ctx, round + 1) // line 65
  }
}

function receiveCommit(ctx: Ctx, e: Extract<ConsensusEvent, { type: 'CommitReceived' }>): void {
  const s = ctx.s
  if (s.height === 0 || e.commit.height !== s.height || s.step === Step.Decided) return
  try {
    verifyCommit(e.commit, e.block.hash, s.validators, s.weights, ctx.init.crypto)
  } catch (err) {
    if (isCoreError(err)) return
    throw err
  }
  // A quorum signed it, so at least one honest validator found the block valid.
  decide(ctx, e.block, e.commit)
}

