// The consensus loop: runs core's pure engine for one entity and carries out its effects. It is
// the engine's only host: one queue of events, processed one at a time, each effect carried out
// in order, so that a validator's own vote is sealed into the write-ahead log (a server frame,
// fsync'd) before it is broadcast. Received proposals and votes are checked here first (decode,
// height, signature) so that gossip can give its verdict before forwarding them.

import {
  type Bytes,
  type Commit,
  type ConsensusBlock,
  type ConsensusCrypto,
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  type EntityMachine,
  type Engine,
  type KeyValueStore,
  type Proposal,
  type Server,
  type TimeoutParams,
  type ValidatorSigner,
  type Vote,
  blockHash,
  createBlsConsensusCrypto,
  createEngine,
  decodeBlock,
  decodeCommit,
  decodeProposal,
  decodeVote,
  encodeBlock,
  encodeCommit,
  encodeProposal,
  encodeServerInput,
  encodeString,
  encodeVote,
  equals,
  initialState,
  heldProposals,
  heldVotes,
  MAX_PROPOSAL_BYTES,
  MAX_VOTE_BYTES,
  isCoreError,
  loadVotedBlocks,
  proposalSigningMessage,
  txsHash,
  verifyCommitWithCrypto,
  voteSigningMessage,
} from '@p2pnode/core'
import type { Logger } from 'pino'
import { cachingCrypto } from './crypto-cache.ts'
import { decodeCommitMessage, decodeEnvelope, encodeCommitMessage, encodeEnvelope } from './messages.ts'

export type Verdict = 'accept' | 'ignore' | 'reject'

export interface ConsensusHost {
  publishProposal(bytes: Bytes): void
  publishVote(bytes: Bytes): void
  /** A committed block with its certificate, for followers and nodes that fell behind. */
  publishCommit(bytes: Bytes): void
}

export interface CommittedInfo {
  height: number
  hash: Bytes
  round: number
  txHashes: Bytes[]
  /** When this node first saw the block (as proposer: when it built it). */
  seenAt: number
  committedAt: number
}

export interface ConsensusLoopInit {
  server: Server
  store: KeyValueStore
  entity: EntityMachine
  /** This node's validator signer; a node without one follows (verifies, never signs). */
  signer?: ValidatorSigner
  host: ConsensusHost
  blockIntervalMs: number
  timeouts: TimeoutParams
  now: () => number
  logger: Logger
  onCommitted?: (info: CommittedInfo) => void
  onEvidence?: (first: Vote, second: Vote) => void
}

const STEP_NAMES = ['propose', 'prevote', 'precommit', 'decided'] as const

/** Messages for the next height arrive before we start it; keep a bounded number for then. */
const MAX_FUTURE_MESSAGES = 2_000
const MAX_FUTURE_BYTES = 16 * 1024 * 1024
/** With no progress (height, round or step) for this long, the node gossips what it holds again. */
export const RESEND_AFTER_MS = 1_000

export class ConsensusLoop {
  readonly crypto: ConsensusCrypto
  private readonly engine: Engine
  private state: ConsensusState = initialState()
  private readonly queue: ConsensusEvent[] = []
  private draining = false
  private running = false
  private readonly timers = new Set<NodeJS.Timeout>()
  private future: Array<{ event: ConsensusEvent; bytes: number }> = []
  private readonly seen = new Map<string, number>()
  private resendTimer: NodeJS.Timeout | undefined
  private progress = { key: '', at: 0 }
  private sequence = 0

  constructor(private readonly init: ConsensusLoopInit) {
    const { network, entity } = init.entity.chain
    this.crypto = cachingCrypto(createBlsConsensusCrypto({ network, entity, secretKey: init.signer?.secret }))
    this.engine = createEngine({ network, entity, publicKey: init.signer?.publicKey, crypto: this.crypto, timeouts: init.timeouts })
  }

  get height(): number {
    return this.state.height
  }

  get round(): number {
    return this.state.round
  }

  get step(): 'propose' | 'prevote' | 'precommit' | 'decided' {
    return STEP_NAMES[this.state.step]
  }

  /** Starts (or resumes after sync) at the height after the entity's tip. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    // Afresh, as after a process restart: the height is started again from the node's own signed
    // votes (the signer's record), so stopping for sync and coming back at the same height loses
    // neither its timeouts nor its lock.
    this.state = initialState()
    this.resendTimer = setInterval(() => this.resendIfStuck(), RESEND_AFTER_MS / 2)
    await this.startNextHeight()
  }

  /**
   * Gossip delivers to the peers connected at the time: a vote sent before the mesh formed, or
   * while a peer was away, never arrives, and the paper's liveness needs every message to arrive
   * eventually. So a node that has made no progress for a while sends again the proposal and
   * votes it holds for its height, as new gossip messages (see messages.ts).
   */
  private resendIfStuck(): void {
    const s = this.state
    const key = `${s.height}/${s.round}/${s.step}`
    const now = this.init.now()
    if (key !== this.progress.key) {
      this.progress = { key, at: now }
      return
    }
    if (s.height === 0 || now - this.progress.at < RESEND_AFTER_MS) return
    this.progress.at = now
    this.sequence++
    for (const proposal of heldProposals(s)) if (proposal.round >= s.round - 1) this.init.host.publishProposal(encodeEnvelope(encodeProposal(proposal), this.sequence))
    for (const vote of heldVotes(s)) if (vote.round >= s.round - 1) this.init.host.publishVote(encodeEnvelope(encodeVote(vote), this.sequence))
  }

  /** Stops taking events and cancels timers; events already queued are dropped. */
  stop(): void {
    this.running = false
    clearInterval(this.resendTimer)
    this.queue.length = 0
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  private async startNextHeight(): Promise<void> {
    const { entity, signer, store } = this.init
    const height = entity.tip.height + 1
    const restoredVotes = signer ? signer.signedVotes(entity.id).filter((v) => v.height === height) : []
    const restoredBlocks = signer && restoredVotes.length > 0 ? (await loadVotedBlocks(store, signer, entity.id)).map((b) => ({ hash: b.hash, bytes: b.bytes })) : []
    const state = entity.tip.state
    this.push({ type: 'StartHeight', height, validators: state.validators(), threshold: state.threshold(), restoredVotes, restoredBlocks })
    const pending = this.future.filter((f) => eventHeight(f.event) === height)
    this.future = this.future.filter((f) => eventHeight(f.event) > height)
    for (const { event } of pending) this.push(event)
  }

  // ---- inputs from gossip: each returns its verdict at once, and queues what it accepts

  receiveProposal(bytes: Bytes): Verdict {
    let proposal: Proposal
    try {
      proposal = decodeProposal(decodeEnvelope(bytes, MAX_PROPOSAL_BYTES), hashBlock)
    } catch {
      return 'reject'
    }
    const verdict = this.checkHeight(proposal.height, { type: 'ProposalReceived', proposal }, bytes.length)
    if (verdict !== 'accept') return verdict
    const proposer = this.state.validators[proposal.proposer]
    if (!proposer) return 'reject'
    const message = proposalSigningMessage({ ...proposal, blockHash: proposal.block.hash })
    if (!this.crypto.verifyProposal(proposer.publicKey, message, proposal.signature)) return 'reject'
    this.seen.set(toKey(proposal.block.hash), this.init.now())
    this.push({ type: 'ProposalReceived', proposal })
    return 'accept'
  }

  receiveVote(bytes: Bytes): Verdict {
    let vote: Vote
    try {
      vote = decodeVote(decodeEnvelope(bytes, MAX_VOTE_BYTES))
    } catch {
      return 'reject'
    }
    const { network, entity } = this.init.entity.chain
    if (vote.network !== network || !equals(vote.entity, entity)) return 'reject'
    const verdict = this.checkHeight(vote.height, { type: 'VoteReceived', vote }, bytes.length)
    if (verdict !== 'accept') return verdict
    const validator = this.state.validators[vote.validator]
    if (!validator) return 'reject'
    if (!this.crypto.verifyVote(validator.publicKey, voteSigningMessage(vote), vote.signature)) return 'reject'
    this.push({ type: 'VoteReceived', vote })
    return 'accept'
  }

  /** A commit for the current height lets a node that missed the votes decide at once. */
  receiveCommit(bytes: Bytes): Verdict {
    let block: ConsensusBlock
    let commit: Commit
    let height: number
    try {
      const message = decodeCommitMessage(bytes)
      commit = decodeCommit(message.commit)
      height = decodeBlock(message.block).header.height
      block = { hash: hashBlock(message.block), bytes: message.block }
    } catch {
      return 'reject'
    }
    if (!equals(commit.blockHash, block.hash) || commit.height !== height) return 'reject'
    if (commit.height < this.state.height) return 'ignore'
    if (commit.height > this.state.height) return this.checkHeight(commit.height, { type: 'CommitReceived', commit, block }, bytes.length)
    // The certificate is checked before the verdict, so a forged one is never forwarded.
    try {
      verifyCommitWithCrypto(commit, block.hash, this.state.validators, this.state.weights, this.crypto)
    } catch {
      return 'reject'
    }
    this.push({ type: 'CommitReceived', commit, block })
    return 'accept'
  }

  /**
   * Current height: check it now. Next height: keep it for then (unverified, so bounded in count
   * and bytes, and never forwarded). Anything else: ignore.
   */
  private checkHeight(height: number, event: ConsensusEvent, bytes = 0): Verdict {
    if (height === this.state.height && this.state.height > 0) return 'accept'
    if (height === this.state.height + 1 || (height === this.init.entity.tip.height + 1 && this.state.height === 0)) {
      const held = this.future.reduce((sum, f) => sum + f.bytes, 0)
      if (this.future.length < MAX_FUTURE_MESSAGES && held + bytes <= MAX_FUTURE_BYTES) this.future.push({ event, bytes })
    }
    return 'ignore'
  }

  // ---- the queue

  private push(event: ConsensusEvent): void {
    if (!this.running) return
    this.queue.push(event)
    if (!this.draining) void this.drain()
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      while (this.running && this.queue.length > 0) {
        const event = this.queue.shift()!
        const { state, effects } = this.engine.step(this.state, event)
        this.state = state
        for (const effect of effects) {
          if (!this.running) break
          await this.carryOut(effect)
        }
      }
    } catch (err) {
      // Carrying out an effect failed (a write, most likely): the node cannot vouch for its own
      // votes any more. Stop consensus loudly rather than go on with unknown durable state.
      this.init.logger.fatal({ err }, 'consensus stopped: an effect could not be carried out')
      this.stop()
      throw err
    } finally {
      this.draining = false
    }
  }

  private async carryOut(effect: ConsensusEffect): Promise<void> {
    const { entity, server, signer, host, logger } = this.init
    switch (effect.type) {
      case 'BuildProposal': {
        const built = entity.propose(this.init.now(), this.state.self)
        const bytes = encodeBlock(built.block)
        this.seen.set(toKey(built.hash), this.init.now())
        this.push({ type: 'ProposalValue', height: effect.height, round: effect.round, block: { hash: built.hash, bytes } })
        return
      }
      case 'BroadcastProposal':
        host.publishProposal(encodeEnvelope(encodeProposal(effect.proposal), 0))
        return
      case 'PersistVote': {
        const input = encodeServerInput([[signer!.id, [encodeString('vote.record'), encodeVote(effect.vote), effect.block?.bytes ?? new Uint8Array(0)]]])
        const out = server.receive(input)
        if (out[0]?.type !== 'vote.recorded') throw new Error(`own vote not recorded: ${JSON.stringify(out[0])}`)
        await server.flush(this.init.now()) // durable before BroadcastVote, which follows
        return
      }
      case 'BroadcastVote':
        host.publishVote(encodeEnvelope(encodeVote(effect.vote), 0))
        return
      case 'ScheduleTimeout': {
        const timer = setTimeout(() => {
          this.timers.delete(timer)
          this.push({ type: 'TimeoutFired', height: effect.height, round: effect.round, step: effect.step })
        }, effect.durationMs)
        this.timers.add(timer)
        return
      }
      case 'ValidateBlock': {
        let valid = true
        try {
          entity.validateProposed(effect.block.bytes)
        } catch (err) {
          if (!isCoreError(err)) throw err
          logger.warn({ height: effect.height, code: err.code }, 'proposed block is invalid')
          valid = false
        }
        this.push({ type: 'BlockValidity', blockHash: effect.blockHash, valid })
        return
      }
      case 'CommitBlock':
        return this.commit(effect)
      case 'RequestBlock':
        logger.debug({ height: effect.height }, 'a quorum voted for a block this node lacks; waiting for its commit')
        return
      case 'Evidence':
        logger.warn({ validator: effect.evidence.first.validator, height: effect.evidence.first.height }, 'equivocation evidence')
        this.init.onEvidence?.(effect.evidence.first, effect.evidence.second)
        return
    }
  }

  private async commit(effect: Extract<ConsensusEffect, { type: 'CommitBlock' }>): Promise<void> {
    const { entity, server, host } = this.init
    const commitBytes = encodeCommit(effect.commit)
    const out = server.receive(encodeServerInput([[entity.id, [encodeString('block'), effect.block.bytes, commitBytes]]]))
    const result = out[0]
    if (result?.type !== 'block.committed') {
      throw new Error(`decided block ${effect.height} does not apply: ${JSON.stringify(result)}`)
    }
    await server.flush(this.init.now())
    if (!this.running) return
    const committedAt = this.init.now()
    const key = toKey(effect.blockHash)
    const seenAt = this.seen.get(key) ?? committedAt
    this.seen.clear()
    const proposer = decodeBlock(effect.block.bytes).header.proposer
    if (proposer === this.state.self) host.publishCommit(encodeCommitMessage(effect.block.bytes, commitBytes))
    this.init.onCommitted?.({ height: effect.height, hash: effect.blockHash, round: effect.commit.round, txHashes: result.txHashes, seenAt, committedAt })
    const wait = Math.max(0, this.init.blockIntervalMs - (this.init.now() - seenAt))
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (this.running) void this.startNextHeight()
    }, wait)
    this.timers.add(timer)
  }
}

/**
 * A block's id is its header's hash, and proposals and commits sign only that: the body must be
 * checked against the header (txsHash) before anything is trusted or forwarded, or a peer could
 * pass off other transactions under a genuine header and signature.
 */
function hashBlock(bytes: Bytes): Bytes {
  const block = decodeBlock(bytes)
  if (!equals(txsHash(block.txs), block.header.txsHash)) throw new Error('block transactions do not match its header')
  return blockHash(block.header)
}

function toKey(hash: Bytes): string {
  return Buffer.from(hash).toString('hex')
}

function eventHeight(e: ConsensusEvent): number {
  switch (e.type) {
    case 'ProposalReceived':
      return e.proposal.height
    case 'VoteReceived':
      return e.vote.height
    case 'CommitReceived':
      return e.commit.height
    default:
      return -1
  }
}
