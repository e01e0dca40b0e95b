// What consensus takes from gossip, checked before gossip forwards it. Every proposal, vote and
// commit gets a verdict at once: accept (forward it and hand it to the engine), ignore (drop it,
// no blame) or reject (drop it and lower the sender's score). The checks run cheapest first, as
// Lodestar does: decode, height, round window, who may send it, whether it is already held, size,
// and only then a signature. A message already held is ignored, never forwarded again, so a peer
// cannot make the network carry a proposal or vote twice by re-wrapping it (review H-3); what a
// peer sends that it should know is useless (replays, far heights, far rounds) is reported to
// `onUseless`, which scores the peer down past a budget.
//
// Messages of the next height are verified too (its validator set is known one height ahead,
// VALIDATOR_SET_CHANGE_DELAY) and kept, bounded, until the height starts (review H-2).

import {
  type Bytes,
  type Commit,
  type ConsensusBlock,
  type ConsensusCrypto,
  type ConsensusEvent,
  type ConsensusState,
  type EntityMachine,
  type Proposal,
  type Validator,
  type Vote,
  type Weights,
  ProposerSchedule,
  Step,
  computeWeights,
  decodeBoundBlock,
  decodeCommit,
  decodeProposal,
  decodeVote,
  equals,
  MAX_PROPOSAL_BYTES,
  MAX_ROUNDS_AHEAD,
  MAX_VOTE_BYTES,
  proposalSigningMessage,
  toHex,
  verifyCommitWithCrypto,
  voteSigningMessage,
} from '@p2pnode/core'
import { decodeCommitMessage, decodeEnvelope } from './messages.ts'

export type Verdict = 'accept' | 'ignore' | 'reject'

/**
 * Rounds ahead of the node's own that it takes votes for: the engine's own window. Honest rounds
 * run ahead of each other only while no quorum forms, and the paper's round skip needs one round
 * above ours with more than a third of the shares; the window bounds what a validator can make
 * every node verify and forward (one vote per validator, round and step).
 */
export const ROUND_WINDOW = MAX_ROUNDS_AHEAD
/**
 * Proposals are taken for our round and the next only: the engine validates no others (each
 * costs a block's execution, review H-1), and one taken but dropped would be ignored as a
 * duplicate when its round comes. Its proposer gossips it again while the network is stuck.
 */
export const PROPOSAL_ROUND_WINDOW = 1
/** Distinct values one validator may be seen signing for one height, round and step: 1, plus one conflict kept as evidence. */
const MAX_VALUES_PER_SLOT = 2
/** Next-height messages kept until the height starts, by count and bytes. */
export const MAX_FUTURE_MESSAGES = 2_000
export const MAX_FUTURE_BYTES = 16 * 1024 * 1024
/**
 * Decided heights whose proposer schedule is kept to judge late proposals: a proposal for one of
 * them signed by a validator not scheduled for its round is rejected (and its sender scored down)
 * however late it comes. Honest proposals arrive a height or two late at most; a peer that lags
 * or means harm sends them many heights late (at 8 blocks a second, 64 heights is 8 s).
 */
export const DECIDED_SCHEDULES = 64

/** Why a message was useless to this node (see onUseless). */
export type Useless = 'duplicate' | 'far-height' | 'far-round' | 'stale'

export interface Judgement {
  verdict: Verdict
  /** The engine event of an accepted message of the height being decided (kept ones are not). */
  event?: ConsensusEvent
  useless?: Useless
  /** Why a message was rejected, for the log. */
  why?: string
}

interface HeightView {
  height: number
  validators: Validator[]
  weights: Weights
  schedule: ProposerSchedule
}

export interface InboxInit {
  entity: EntityMachine
  crypto: ConsensusCrypto
}

const reject = (why: string): Judgement => ({ verdict: 'reject', why })
const ignore = (useless?: Useless): Judgement => (useless ? { verdict: 'ignore', useless } : { verdict: 'ignore' })

export class ConsensusInbox {
  /** Proposals heard, by `${height}/${round}`: the first (block hash hex) wins. */
  private readonly proposals = new Map<string, string>()
  /** Votes heard, by `${height}/${round}/${step}/${validator}`: the value keys seen. */
  private readonly votes = new Map<string, Set<string>>()
  /** Heights whose certificate was taken. */
  private readonly commits = new Set<number>()
  private nextView: HeightView | undefined
  /** The schedules of the heights decided last (DECIDED_SCHEDULES), to judge late proposals. */
  private readonly decided = new Map<number, ProposerSchedule>()
  /** Verified messages of the next height, for when it starts. */
  private future: Array<{ height: number; event: ConsensusEvent; bytes: number }> = []
  private futureBytes = 0
  /** The height last started: its StartHeight may still wait in the loop's queue. */
  private started = 0

  constructor(private readonly init: InboxInit) {}

  /**
   * A height starts: forgets what was heard below it and hands back the messages kept for it,
   * to be given to the engine after its StartHeight.
   */
  startHeight(height: number, decided?: { height: number; schedule: ProposerSchedule | null }): ConsensusEvent[] {
    this.started = height
    if (decided?.schedule) this.decided.set(decided.height, decided.schedule)
    for (const h of this.decided.keys()) if (h < height - DECIDED_SCHEDULES) this.decided.delete(h)
    const below = (key: string) => Number(key.slice(0, key.indexOf('/'))) < height
    for (const key of this.proposals.keys()) if (below(key)) this.proposals.delete(key)
    for (const key of this.votes.keys()) if (below(key)) this.votes.delete(key)
    for (const h of this.commits) if (h < height) this.commits.delete(h)
    if (this.nextView && this.nextView.height <= height) this.nextView = undefined
    const due = this.future.filter((f) => f.height === height).map((f) => f.event)
    this.future = this.future.filter((f) => f.height > height)
    this.futureBytes = this.future.reduce((sum, f) => sum + f.bytes, 0)
    return due
  }

  /** Whether verified messages of `height` wait here: some validator has started it. */
  holds(height: number): boolean {
    return this.future.some((f) => f.height === height)
  }

  /** Forgets everything: consensus starts afresh (after sync), and must hear everything again. */
  reset(): void {
    this.proposals.clear()
    this.votes.clear()
    this.commits.clear()
    this.nextView = undefined
    this.decided.clear()
    this.future = []
    this.futureBytes = 0
    this.started = 0
  }

  proposal(bytes: Bytes, s: ConsensusState): Judgement {
    let proposal: Proposal
    try {
      // the block is hashed only once the cheap checks pass (hashing decodes it)
      proposal = decodeProposal(decodeEnvelope(bytes, MAX_PROPOSAL_BYTES), () => UNHASHED)
    } catch {
      return reject('malformed proposal')
    }
    // Who may propose a round is known for any round of the heights whose set the node holds
    // (and cheap to look up): a proposal signed by anyone else is invalid, late or not.
    const schedule = this.view(proposal.height, s)?.schedule ?? this.scheduleOfDecided(proposal.height, s)
    if (schedule && proposal.proposer !== schedule.proposer(proposal.height, proposal.round)) return reject(`validator ${proposal.proposer} does not propose round ${proposal.round}`)
    const view = this.view(proposal.height, s)
    if (!view) return ignore(this.distance(proposal.height, s))
    const ahead = proposal.round - this.roundOf(view, s)
    // a peer a few rounds ahead of us sends these honestly; past the vote window, nobody does
    if (ahead > ROUND_WINDOW) return ignore('far-round')
    if (ahead > PROPOSAL_ROUND_WINDOW) return ignore()
    const key = `${proposal.height}/${proposal.round}`
    if (this.proposals.has(key)) return ignore('duplicate') // the first one wins, as in the engine
    const maxBlockBytes = this.init.entity.tip.state.params().maxBlockBytes
    if (proposal.block.bytes.length > maxBlockBytes) return reject(`block of ${proposal.block.bytes.length} bytes, limit ${maxBlockBytes}`)
    let hash: Bytes
    try {
      hash = decodeBoundBlock(proposal.block.bytes).hash
    } catch {
      return reject('block does not decode or does not match its header')
    }
    const message = proposalSigningMessage({ height: proposal.height, round: proposal.round, validRound: proposal.validRound, blockHash: hash })
    if (!this.init.crypto.verifyProposal(view.validators[proposal.proposer]!.publicKey, message, proposal.signature)) return reject('bad proposal signature')
    const event: ConsensusEvent = { type: 'ProposalReceived', proposal: { ...proposal, block: { hash, bytes: proposal.block.bytes } } }
    if (!this.take(event, view, s, bytes.length)) return ignore()
    this.proposals.set(key, toHex(hash))
    return { verdict: 'accept', ...(this.current(view, s) ? { event } : {}) }
  }

  vote(bytes: Bytes, s: ConsensusState): Judgement {
    let vote: Vote
    try {
      vote = decodeVote(decodeEnvelope(bytes, MAX_VOTE_BYTES))
    } catch {
      return reject('malformed vote')
    }
    const { network, entity } = this.init.entity.chain
    if (vote.network !== network || !equals(vote.entity, entity)) return reject('vote of another network or entity')
    const view = this.view(vote.height, s)
    if (!view) return ignore(this.distance(vote.height, s))
    if (vote.round > this.roundOf(view, s) + ROUND_WINDOW) return ignore('far-round')
    const validator = view.validators[vote.validator]
    if (!validator) return reject(`no validator ${vote.validator}`)
    const key = `${vote.height}/${vote.round}/${vote.step}/${vote.validator}`
    const value = vote.blockHash === null ? 'nil' : toHex(vote.blockHash)
    const values = this.votes.get(key)
    if (values?.has(value) || (values && values.size >= MAX_VALUES_PER_SLOT)) return ignore('duplicate')
    if (!this.init.crypto.verifyVote(validator.publicKey, voteSigningMessage(vote), vote.signature)) return reject('bad vote signature')
    const event: ConsensusEvent = { type: 'VoteReceived', vote }
    if (!this.take(event, view, s, bytes.length)) return ignore()
    if (values) values.add(value)
    else this.votes.set(key, new Set([value]))
    return { verdict: 'accept', ...(this.current(view, s) ? { event } : {}) }
  }

  commit(bytes: Bytes, s: ConsensusState): Judgement {
    let commit: Commit
    let blockBytes: Bytes
    try {
      const message = decodeCommitMessage(bytes)
      commit = decodeCommit(message.commit)
      blockBytes = message.block
    } catch {
      return reject('malformed commit message')
    }
    // the certificate's height first: the block is decoded only for a height worth deciding
    const view = this.view(commit.height, s)
    if (!view) return ignore(commit.height > s.height ? 'far-height' : undefined)
    if (this.commits.has(commit.height) || (commit.height === s.height && s.step === Step.Decided)) return ignore()
    let block: ConsensusBlock
    try {
      const decoded = decodeBoundBlock(blockBytes)
      if (decoded.block.header.height !== commit.height) return reject('block and certificate of different heights')
      block = { hash: decoded.hash, bytes: blockBytes }
    } catch {
      return reject('block does not decode or does not match its header')
    }
    if (!equals(commit.blockHash, block.hash)) return reject('certificate of another block')
    // checked before the verdict, so a forged certificate is never forwarded
    try {
      verifyCommitWithCrypto(commit, block.hash, view.validators, view.weights, this.init.crypto)
    } catch {
      return reject('certificate does not verify')
    }
    const event: ConsensusEvent = { type: 'CommitReceived', commit, block }
    if (!this.take(event, view, s, bytes.length)) return ignore()
    this.commits.add(commit.height)
    return { verdict: 'accept', ...(this.current(view, s) ? { event } : {}) }
  }

  /** A message of the current height is taken at once; one of the next is kept while there is room. */
  private take(event: ConsensusEvent, view: HeightView, s: ConsensusState, bytes: number): boolean {
    if (this.current(view, s)) return true
    if (this.future.length >= MAX_FUTURE_MESSAGES || this.futureBytes + bytes > MAX_FUTURE_BYTES) return false
    this.future.push({ height: view.height, event, bytes })
    this.futureBytes += bytes
    return true
  }

  /** The schedule of a height already decided: the one in decision now, or one of the last DECIDED_SCHEDULES. */
  private scheduleOfDecided(height: number, s: ConsensusState): ProposerSchedule | undefined {
    if (height === s.height && s.step === Step.Decided && s.schedule) return s.schedule
    return this.decided.get(height)
  }

  /** Whether a message is for the height being decided, or started and queued behind its StartHeight. */
  private current(view: HeightView, s: ConsensusState): boolean {
    return view.height === s.height || view.height <= this.started
  }

  /** The round to measure a window from: ours at our height, round 0 at the next. */
  private roundOf(view: HeightView, s: ConsensusState): number {
    return view.height === s.height ? s.round : 0
  }

  private distance(height: number, s: ConsensusState): Useless | undefined {
    if (height > s.height + 1) return 'far-height'
    // a late vote for the height just decided is honest; older ones are not worth sending
    return height + 1 < s.height ? 'stale' : undefined
  }

  /**
   * The validator set of `height` when it is the one being decided (and not decided yet) or the
   * next one; undefined for anything else, and while consensus is not running (height 0).
   */
  private view(height: number, s: ConsensusState): HeightView | undefined {
    if (s.height === 0) return undefined
    if (height === s.height) {
      if (s.step === Step.Decided || !s.schedule) return undefined
      return { height, validators: s.validators, weights: s.weights, schedule: s.schedule }
    }
    if (height !== s.height + 1) return undefined
    if (this.nextView?.height === height) return this.nextView
    const tip = this.init.entity.tip
    const state = tip.state
    let validators: Validator[]
    let threshold
    if (tip.height + 1 === height) {
      validators = state.validators()
      threshold = state.threshold()
    } else if (tip.height + 2 === height) {
      // the set of tip + 2 is the current one, unless a change activates there
      const pending = state.pending()
      const changes = pending !== undefined && pending.activateAt <= height
      validators = changes ? pending.validators : state.validators()
      threshold = changes ? pending.threshold : state.threshold()
    } else {
      return undefined
    }
    this.nextView = { height, validators, weights: computeWeights(validators, threshold), schedule: new ProposerSchedule(validators) }
    return this.nextView
  }
}

const UNHASHED = new Uint8Array(0)
