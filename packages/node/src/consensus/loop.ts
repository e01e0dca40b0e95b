// The consensus loop: runs core's pure engine for one entity and carries out its effects. It is
// the engine's only host: one queue of events, processed one at a time, each effect carried out
// in order, so that a validator's own vote is sealed into the write-ahead log (a server frame,
// fsync'd) before it is broadcast. Received proposals, votes and commits are checked first by the
// inbox (inbox.ts), so that gossip can give its verdict before forwarding them.

import {
  type Bytes,
  type ConsensusCrypto,
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  type EntityMachine,
  type Engine,
  type KeyValueStore,
  type Server,
  type ServerOutput,
  type TimeoutParams,
  type ValidatorSigner,
  type Vote,
  ErrorCode,
  createBlsConsensusCrypto,
  createEngine,
  encodeBlock,
  encodeCommit,
  encodeProposal,
  voteRecordInput,
  blockInput,
  encodeVote,
  initialState,
  heldProposals,
  heldVotes,
  isCoreError,
  loadVotedBlocks,
} from '@p2pnode/core'
import type { Logger } from 'pino'
import { cachingCrypto } from './crypto-cache.ts'
import { ConsensusInbox, type Judgement, type Verdict } from './inbox.ts'
import { encodeCommitMessage, encodeEnvelope } from './messages.ts'
import { HeightPacer } from './pacer.ts'

export type { Verdict } from './inbox.ts'

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

/**
 * The validator's double-sign record outside the database (home/signer-state.ts): it survives
 * reset, import and init --force, which replace the data the server's own record lives in.
 */
export interface SignerGuard {
  /** Whether this key may sign at `height`, and its own votes there to restore. */
  startHeight(entity: Bytes, height: number, ledgerVotes: Vote[]): Promise<{ sign: boolean; votes: Vote[] }>
  /** Records an own vote durably; throws for one the record forbids. */
  record(vote: Vote): Promise<void>
}

export interface ConsensusLoopInit {
  server: Server
  store: KeyValueStore
  entity: EntityMachine
  /** This node's validator signer; a node without one follows (verifies, never signs). */
  signer?: ValidatorSigner
  /** The signer's record beside its key; every own vote goes there before it is sent (review M-3). */
  signerGuard?: SignerGuard
  host: ConsensusHost
  /** The pause after a block before the next height starts, when there is work (pacer.ts). */
  blockIntervalMs: number
  /** The pause when there is none: the heartbeat; 0 makes blocks with or without work. */
  emptyBlockIntervalMs: number
  timeouts: TimeoutParams
  now: () => number
  logger: Logger
  onCommitted?: (info: CommittedInfo) => void
  onEvidence?: (first: Vote, second: Vote) => void
  /** A peer sent a verified certificate for `height`: a height it can back, for sync. */
  onVerifiedCommit?: (peerId: string, height: number) => void
  /** A peer sent a message it should have known was useless (inbox.ts): its budget pays. */
  onUseless?: (peerId: string, what: string) => void
  /** Consensus stopped because an effect could not be carried out (a failed write). */
  onFatal?: (err: Error) => void
}

const STEP_NAMES = ['propose', 'prevote', 'precommit', 'decided'] as const

/** With no progress (height, round or step) for this long, the node gossips what it holds again. */
export const RESEND_AFTER_MS = 1_000
/** The drain gives the event loop back after this much work, so gossip and timers are not starved. */
const DRAIN_SLICE_MS = 5
/** Waits for a frame to be written when our own vote or decided block finds the open frame full. */
const BUSY_RETRIES = 50

export class ConsensusLoop {
  readonly crypto: ConsensusCrypto
  private readonly engine: Engine
  private state: ConsensusState = initialState()
  private readonly queue: ConsensusEvent[] = []
  private draining = false
  private running = false
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly inbox: ConsensusInbox
  private readonly pacer: HeightPacer
  private readonly seen = new Map<string, number>()
  private resendTimer: NodeJS.Timeout | undefined
  private progress = { key: '', at: 0 }
  private sequence = 0

  constructor(private readonly init: ConsensusLoopInit) {
    const { network, entity } = init.entity.chain
    this.crypto = cachingCrypto(createBlsConsensusCrypto({ network, entity, secretKey: init.signer?.secret }))
    this.engine = createEngine({ network, entity, publicKey: init.signer?.publicKey, crypto: this.crypto, timeouts: init.timeouts })
    this.inbox = new ConsensusInbox({ entity: init.entity, crypto: this.crypto })
    this.pacer = new HeightPacer({
      blockIntervalMs: init.blockIntervalMs,
      emptyBlockIntervalMs: init.emptyBlockIntervalMs,
      now: init.now,
      hasWork: () => init.entity.hasWork() || this.inbox.holds(init.entity.tip.height + 1),
      start: () => {
        if (this.running) void this.startNextHeight()
      },
    })
    init.entity.onAdmitted(() => this.pacer.wake())
  }

  /** Waiting for the heartbeat: nothing to put in a block since the last one (pacer.ts). */
  get idle(): boolean {
    return this.pacer.idle
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
    this.inbox.reset()
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
    // between heights there is nothing to send: the height is decided, the next not started
    if (this.pacer.waiting) return
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
    // with no height, gossip is ignored (neither forwarded nor kept) until start()
    this.state = initialState()
    clearInterval(this.resendTimer)
    this.pacer.cancel()
    this.queue.length = 0
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
  }

  private async startNextHeight(): Promise<void> {
    const { entity, signer, signerGuard, store } = this.init
    const height = entity.tip.height + 1
    const ledgerVotes = signer ? signer.signedVotes(entity.id).filter((v) => v.height === height) : []
    // The record beside the key has the last word: below its mark this node follows without
    // signing (its data was reset or replaced), at the mark its votes there are the node's own.
    const guard = signer && signerGuard ? await signerGuard.startHeight(entity.id, height, ledgerVotes) : { sign: true, votes: ledgerVotes }
    if (!this.running || entity.tip.height + 1 !== height) return
    const restoredVotes = guard.votes
    const restoredBlocks = signer && restoredVotes.length > 0 ? (await loadVotedBlocks(store, signer, entity.id)).map((b) => ({ hash: b.hash, bytes: b.bytes })) : []
    const state = entity.tip.state
    if (!guard.sign) this.init.logger.info({ height }, 'this key signed past this height before (its record says so): following without signing')
    // the height just decided: its schedule joins those that judge late proposals (inbox.ts)
    const decided = { height: this.state.height, schedule: this.state.schedule }
    this.push({ type: 'StartHeight', height, validators: state.validators(), threshold: state.threshold(), restoredVotes, restoredBlocks, ...(guard.sign ? {} : { sign: false }) })
    for (const event of this.inbox.startHeight(height, decided)) this.push(event)
  }

  // ---- inputs from gossip: each returns its verdict at once (inbox.ts), and queues what it accepts

  receiveProposal(bytes: Bytes, from = ''): Verdict {
    return this.take(this.inbox.proposal(bytes, this.state), from, 'proposal', (event) => {
      if (event.type === 'ProposalReceived') this.seen.set(toKey(event.proposal.block.hash), this.init.now())
    })
  }

  receiveVote(bytes: Bytes, from = ''): Verdict {
    return this.take(this.inbox.vote(bytes, this.state), from, 'vote')
  }

  /** A commit for the current height lets a node that missed the votes decide at once. */
  receiveCommit(bytes: Bytes, from = ''): Verdict {
    return this.take(this.inbox.commit(bytes, this.state), from, 'commit', (event) => {
      if (event.type === 'CommitReceived' && from) this.init.onVerifiedCommit?.(from, event.commit.height)
    })
  }

  /**
   * Blocks with their certificates, proven by sync from the height being decided on (sync.ts
   * found the node a few heights behind): decided as if their commits had come on gossip.
   */
  takeCommitted(blocks: Array<{ block: Bytes; commit: Bytes }>): void {
    for (const { block, commit } of blocks) this.receiveCommit(encodeCommitMessage(block, commit))
  }

  private take(judgement: Judgement, from: string, kind: string, onEvent?: (event: ConsensusEvent) => void): Verdict {
    if (judgement.useless && from) this.init.onUseless?.(from, `${kind}: ${judgement.useless}`)
    if (judgement.verdict === 'reject') this.init.logger.debug({ from, kind, why: judgement.why }, 'gossip message rejected')
    if (judgement.event) {
      onEvent?.(judgement.event)
      this.push(judgement.event)
    } else if (judgement.verdict === 'accept') {
      this.pacer.wake() // kept for the next height: a validator has started it
    }
    return judgement.verdict
  }

  // ---- the queue

  private push(event: ConsensusEvent): void {
    if (!this.running) return
    this.queue.push(event)
    if (!this.draining) {
      this.drain().catch((err: unknown) => {
        // An effect still in flight when the loop was stopped (the node left the entity): the
        // entity is gone from the server, not broken
        if (!this.running) return this.init.logger.warn({ err: (err as Error).message }, 'an effect of a stopped loop failed')
        // Carrying out an effect failed (a write, most likely): the node cannot vouch for its own
        // votes any more. Consensus stops loudly rather than go on with unknown durable state.
        this.init.logger.fatal({ err }, 'consensus stopped: an effect could not be carried out')
        this.stop()
        this.init.onFatal?.(err instanceof Error ? err : new Error(String(err)))
      })
    }
  }

  private async drain(): Promise<void> {
    this.draining = true
    try {
      let sliceStart = performance.now()
      while (this.running && this.queue.length > 0) {
        const event = this.queue.shift()!
        const { state, effects } = this.engine.step(this.state, event)
        this.state = state
        for (const effect of effects) {
          if (!this.running) break
          await this.carryOut(effect)
        }
        if (performance.now() - sliceStart > DRAIN_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve))
          sliceStart = performance.now()
        }
      }
    } finally {
      this.draining = false
    }
  }

  /**
   * Gives the server one of the node's own inputs (its vote record, a decided block): they use
   * the frame's reserved headroom, and if even that is full they wait for the frame to be
   * written rather than fail (review M-1).
   */
  private async receiveOwn(input: Bytes): Promise<ServerOutput | undefined> {
    const { server } = this.init
    for (let attempt = 0; ; attempt++) {
      const out = server.receive(input, { reserved: true })[0]
      if (out?.type !== 'input.rejected' || out.code !== ErrorCode.ServerBusy || attempt >= BUSY_RETRIES) return out
      await server.flush(this.init.now())
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
        const input = voteRecordInput(signer!.id, effect.vote, effect.block?.bytes)
        const out = await this.receiveOwn(input)
        if (out?.type !== 'vote.recorded') throw new Error(`own vote not recorded: ${JSON.stringify(out)}`)
        await server.flush(this.init.now()) // durable before BroadcastVote, which follows
        await this.init.signerGuard?.record(effect.vote)
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
          // now: a proposed block's time may not run ahead of this validator's clock (review M-7)
          entity.validateProposed(effect.block.bytes, { round: effect.round, now: this.init.now() })
        } catch (err) {
          // A block from a peer that breaks our code is still the peer's block: it is invalid,
          // and consensus goes on (an error that is not a CoreError is logged as our bug).
          if (isCoreError(err)) logger.warn({ height: effect.height, code: err.code }, 'proposed block is invalid')
          else logger.error({ height: effect.height, err }, 'validating a proposed block failed unexpectedly')
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
    const result = await this.receiveOwn(blockInput(entity.id, effect.block.bytes, commitBytes))
    if (result?.type !== 'block.committed') {
      throw new Error(`decided block ${effect.height} does not apply: ${JSON.stringify(result)}`)
    }
    await server.flush(this.init.now())
    if (!this.running) return
    const committedAt = this.init.now()
    const key = toKey(effect.blockHash)
    const seenAt = this.seen.get(key) ?? committedAt
    this.seen.clear()
    // The proposer of the deciding round publishes the commit for followers: by the schedule,
    // not by the header, whose proposer field its builder chose (review M-7).
    if (this.state.self >= 0 && this.state.schedule?.proposer(effect.height, effect.commit.round) === this.state.self) {
      host.publishCommit(encodeCommitMessage(effect.block.bytes, commitBytes))
    }
    this.init.onCommitted?.({ height: effect.height, hash: effect.blockHash, round: effect.commit.round, txHashes: result.txHashes, seenAt, committedAt })
    this.pacer.decided(seenAt)
  }
}

function toKey(hash: Bytes): string {
  return Buffer.from(hash).toString('hex')
}
