// A simulated host: carries out the engine's effects the way packages/node will (persist, send,
// time, validate, commit, fetch), keeps a "disk" (own votes, committed chain) that survives
// crashes, and re-gossips while stuck so that messages lost before GST are eventually delivered.
// A byzantine node runs the same engine but tampers with what it sends (byzantine.ts).

import { type Bytes, equals, toHex } from '../../../packages/core/src/bytes.ts'
import {
  type ConsensusBlock,
  type ConsensusCrypto,
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  type Engine,
  type EngineInit,
  initialState,
  type Proposal,
  type TimeoutParams,
} from '../../../packages/core/src/consensus/index.ts'
import { allVotes } from '../../../packages/core/src/consensus/vote-set.ts'
import type { Commit, Vote } from '../../../packages/core/src/types/chain.ts'
import { encodeSimBlock, type Genesis, GENESIS_HASH, isValidBlock, type SetChange, setForHeight } from './app.ts'
import type { Invariants } from './invariants.ts'
import type { EventQueue, Network } from './network.ts'
import type { Prng } from './prng.ts'
import { decodeMessage, encodeMessage, type WireMessage } from './wire.ts'

export interface SimContext {
  queue: EventQueue
  rng: Prng
  network: Network
  genesis: Genesis
  nodes: SimNode[]
  checker: Invariants
  networkName: string
  entity: Bytes
  gossipMs: number
  timeouts: TimeoutParams
  makeEngine: (init: EngineInit) => Engine
  /** A set change for an honest proposer to put in its block, or null. */
  proposeChange: () => SetChange | null
}

export interface Byzantine {
  equivocate: boolean
  doubleVote: boolean
  unknownVotes: boolean
  garbage: boolean
  invalidBlocks: boolean
}

const MAX_BUFFERED = 5_000

export class SimNode {
  alive = true
  epoch = 0
  state: ConsensusState = initialState()
  readonly engine: Engine
  readonly disk: { votes: Vote[]; blocks: ConsensusBlock[]; chain: ConsensusBlock[]; commits: Commit[] } = {
    votes: [],
    blocks: [],
    chain: [],
    commits: [],
  }
  private buffer: WireMessage[] = []
  private inbox: ConsensusEvent[] = []
  private busy = false
  private lastTickHeight = -1
  private readonly laggards = new Map<string, [number, number]>()
  restarts = 0

  constructor(
    readonly ctx: SimContext,
    readonly id: number,
    readonly publicKey: Bytes,
    readonly crypto: ConsensusCrypto,
    readonly byzantine: Byzantine | null,
    readonly tamper: Tamper | null,
  ) {
    this.engine = ctx.makeEngine({ network: ctx.networkName, entity: ctx.entity, publicKey, crypto, timeouts: ctx.timeouts })
  }

  get honest(): boolean {
    return this.byzantine === null
  }

  get height(): number {
    return this.disk.chain.length
  }

  boot(): void {
    this.alive = true
    this.epoch++
    this.state = initialState()
    this.buffer = []
    this.inbox = []
    this.lastTickHeight = -1
    this.startHeight(this.disk.chain.length + 1)
    const epoch = this.epoch
    const tick = (): void => {
      if (!this.alive || this.epoch !== epoch) return
      this.gossip()
      this.ctx.queue.after(this.ctx.gossipMs, tick)
    }
    this.ctx.queue.after(this.ctx.rng.int(1, this.ctx.gossipMs), tick)
  }

  crash(): void {
    this.alive = false
    this.epoch++
    this.buffer = []
    this.inbox = []
  }

  private startHeight(height: number): void {
    const set = setForHeight(height, this.disk.chain, this.ctx.genesis)
    if (this.honest) this.ctx.checker.onStart(height, this.ctx.queue.now)
    this.feed({
      type: 'StartHeight',
      height,
      validators: set.validators,
      threshold: set.threshold,
      restoredVotes: this.disk.votes.filter((v) => v.height === height),
      restoredBlocks: this.disk.blocks.filter((b) => this.disk.votes.some((v) => v.height === height && v.blockHash !== null && equals(v.blockHash, b.hash))),
    })
  }

  feed(event: ConsensusEvent): void {
    if (!this.alive) return
    this.inbox.push(event)
    if (this.busy) return
    this.busy = true
    try {
      while (this.inbox.length > 0) {
        const next = this.inbox.shift()!
        const started = next.type === 'StartHeight'
        const result = this.engine.step(this.state, next)
        this.state = result.state
        for (const effect of result.effects) this.apply(effect)
        if (started) this.replayBuffer()
      }
    } finally {
      this.busy = false
    }
  }

  private later(delay: number, event: ConsensusEvent): void {
    const epoch = this.epoch
    this.ctx.queue.after(delay, () => {
      if (this.alive && this.epoch === epoch) this.feed(event)
    })
  }

  private apply(effect: ConsensusEffect): void {
    const { ctx } = this
    switch (effect.type) {
      case 'BuildProposal':
        return this.later(ctx.rng.int(0, 2), {
          type: 'ProposalValue',
          height: effect.height,
          round: effect.round,
          block: this.buildBlock(effect.height, effect.round, false),
        })
      case 'BroadcastProposal':
        if (this.tamper) return this.tamper.proposal(this, effect.proposal)
        return this.broadcast({ kind: 'proposal', proposal: effect.proposal })
      case 'PersistVote':
        this.disk.votes.push(effect.vote)
        if (effect.block && !this.disk.blocks.includes(effect.block)) this.disk.blocks.push(effect.block)
        if (this.honest) ctx.checker.onSign(this.id, this.state.validators[effect.vote.validator]!, effect.vote)
        return
      case 'BroadcastVote':
        if (this.honest) ctx.checker.onBroadcast(this.id, effect.vote, this.disk.votes)
        if (this.tamper) return this.tamper.vote(this, effect.vote)
        return this.broadcast({ kind: 'vote', vote: effect.vote })
      case 'ScheduleTimeout':
        return this.later(effect.durationMs, {
          type: 'TimeoutFired',
          height: effect.height,
          round: effect.round,
          step: effect.step,
        })
      case 'ValidateBlock': {
        const parent = effect.height === 1 ? GENESIS_HASH : this.disk.chain[effect.height - 2]!.hash
        const valid = isValidBlock(effect.block, effect.height, parent, ctx.genesis)
        return this.later(ctx.rng.int(0, 3), { type: 'BlockValidity', blockHash: effect.blockHash, valid })
      }
      case 'CommitBlock':
        if (this.honest) ctx.checker.onCommit(this.id, effect.height, effect.block, effect.commit, this.disk.chain)
        this.disk.chain.push(effect.block)
        this.disk.blocks = [] // blocks voted for at earlier heights are no longer needed
        this.disk.commits.push(effect.commit)
        return this.startHeight(effect.height + 1)
      case 'RequestBlock':
        return this.broadcast({ kind: 'getBlock', height: effect.height, hash: effect.blockHash })
      case 'Evidence':
        ctx.checker.evidence++
        return
    }
  }

  buildBlock(height: number, round: number, alternative: boolean): ConsensusBlock {
    const { rng } = this.ctx
    return encodeSimBlock({
      height,
      round,
      proposer: this.id,
      parentHash: height === 1 ? GENESIS_HASH : this.disk.chain[height - 2]!.hash,
      salt: rng.bytes(alternative ? 5 : 4),
      invalid: this.byzantine?.invalidBlocks === true && rng.chance(0.5),
      change: this.honest ? this.ctx.proposeChange() : null,
    })
  }

  send(to: number, message: WireMessage | Bytes): void {
    const bytes = message instanceof Uint8Array ? message : encodeMessage(message)
    this.ctx.network.send(this.id, to, bytes)
  }

  broadcast(message: WireMessage | Bytes): void {
    const bytes = message instanceof Uint8Array ? message : encodeMessage(message)
    for (const peer of this.ctx.nodes) if (peer.id !== this.id) this.ctx.network.send(this.id, peer.id, bytes)
  }

  peers(): number[] {
    return this.ctx.nodes.filter((n) => n.id !== this.id).map((n) => n.id)
  }

  receive(from: number, bytes: Bytes): void {
    if (!this.alive) return
    let m: WireMessage
    try {
      m = decodeMessage(bytes)
    } catch {
      return // garbage: a real node would also lower the sender's score
    }
    const height = this.state.height
    switch (m.kind) {
      case 'proposal':
      case 'vote': {
        const h = m.kind === 'vote' ? m.vote.height : m.proposal.height
        if (h === height) {
          return this.feed(m.kind === 'vote' ? { type: 'VoteReceived', vote: m.vote } : { type: 'ProposalReceived', proposal: m.proposal })
        }
        if (h > height) {
          if (this.buffer.length < MAX_BUFFERED) this.buffer.push(m)
          return
        }
        return this.helpLaggard(from, h)
      }
      case 'commit':
        if (m.commit.height === height) this.feed({ type: 'CommitReceived', commit: m.commit, block: m.block })
        return
      case 'getBlock': {
        const block =
          this.disk.chain[m.height - 1] ?? (m.height === height ? this.state.blocks.get(toHex(m.hash)) : undefined)
        if (block && equals(block.hash, m.hash)) this.send(from, { kind: 'block', height: m.height, block })
        return
      }
      case 'block':
        if (m.height === height) this.feed({ type: 'BlockReceived', height: m.height, block: m.block })
        return
    }
  }

  /**
   * A peer still works on a height we committed: note it, and send it the certificate and block
   * at the next gossip tick (as a sync protocol would, not at once).
   */
  private helpLaggard(peer: number, height: number): void {
    if (this.laggards.size < MAX_BUFFERED) this.laggards.set(`${peer}/${height}`, [peer, height])
  }

  private sendCommits(): void {
    for (const [peer, height] of this.laggards.values()) {
      const block = this.disk.chain[height - 1]
      const commit = this.disk.commits[height - 1]
      if (block && commit) this.ctx.network.send(this.id, peer, encodeMessage({ kind: 'commit', commit, block }), true)
    }
    this.laggards.clear()
  }

  private replayBuffer(): void {
    const height = this.state.height
    const now = this.buffer.filter((m) => heightOf(m) === height)
    this.buffer = this.buffer.filter((m) => heightOf(m) > height)
    for (const m of now) {
      this.feed(m.kind === 'vote' ? { type: 'VoteReceived', vote: m.vote } : { type: 'ProposalReceived', proposal: (m as { proposal: Proposal }).proposal })
    }
  }

  /**
   * While stuck at one height, re-send what liveness needs: the votes of the current and previous
   * round, of the rounds that proofs-of-lock refer to, and of rounds with a precommit quorum;
   * our own to everyone, everyone's (relayed, as the paper's gossip assumes) to one random peer.
   */
  private gossip(): void {
    this.tamper?.tick(this)
    this.sendCommits()
    const s = this.state
    if (s.height !== this.lastTickHeight) {
      this.lastTickHeight = s.height
      return
    }
    const rounds = new Set<number>([s.round, s.round - 1, s.validRound, s.lockedRound, ...s.decisionRounds])
    for (const p of s.proposals.values()) if (p.round >= s.round - 1) rounds.add(p.validRound)
    for (const vote of s.ownVotes.values()) if (vote.round >= s.round - 1) this.broadcast({ kind: 'vote', vote })
    const peer = this.ctx.rng.pick(this.peers())
    for (const round of rounds) {
      const rv = s.rounds.get(round)
      if (rv) for (const vote of allVotes(rv)) this.send(peer, { kind: 'vote', vote })
      const proposal = s.proposals.get(round)
      if (proposal) this.send(peer, { kind: 'proposal', proposal })
    }
  }
}

function heightOf(m: WireMessage): number {
  return m.kind === 'vote' ? m.vote.height : m.kind === 'proposal' ? m.proposal.height : -1
}

/** Byzantine tampering with outgoing traffic (byzantine.ts implements it). */
export interface Tamper {
  proposal(node: SimNode, proposal: Proposal): void
  vote(node: SimNode, vote: Vote): void
  tick(node: SimNode): void
}
