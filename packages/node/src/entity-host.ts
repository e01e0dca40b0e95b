// Everything a node runs for one entity it hosts: the entity's gossip topics and their
// validation, its consensus loop, transaction batches, catch-up sync and the choice between them
// (follow-or-sync), block pruning, and what a committed block tells metrics and the API. The node
// (node.ts) builds one per hosted entity over the parts they share: the server machine and its
// frame log, the store, the network, the metrics, the useless-message budget, the signer.
//
// Each host has its own loop, timers, mempool (in its entity machine) and validation budgets, so
// one entity's stall or flood is its own (issue 12, point 4).

import { type EntityMachine, type KeyValueStore, type Server, type Tip, type ValidatorSigner, equals, timeoutMs, toHex } from '@p2pnode/core'
import type { Logger } from 'pino'
import type { NodeConfig } from './config.ts'
import type { NodeEvent } from './api/node-api.ts'
import { ConsensusLoop, type CommittedInfo } from './consensus/loop.ts'
import { TxBatches } from './gossip/tx-batches.ts'
import type { UselessBudget } from './gossip/useless.ts'
import type { Verdict } from './gossip/verdicts.ts'
import type { SignerState } from './home/signer-state.ts'
import type { EntityMetrics } from './metrics/metrics.ts'
import type { Network } from './network/network.ts'
import { Pruner } from './storage/pruner.ts'
import { FollowOrSync } from './sync/follow.ts'
import { STALLED_AFTER_MS, Syncer } from './sync/syncer.ts'
import { encodeEntitySyncRequest } from './sync/protocol.ts'

/** How often the node asks peers how far they are, to notice it fell behind. */
export const SYNC_CHECK_MS = 1_000
/** Transaction batches in validation at once, in all and from one peer (network/gossip.ts). */
export const TX_VALIDATION_BUDGET = { maxPending: 64, maxPendingPerPeer: 16 }
/**
 * A joined entity looks its hosts up in the DHT (network/providers.ts) while fewer than this many
 * peers share its topics, first after DISCOVER_MIN_MS, the wait doubling to DISCOVER_MAX_MS while
 * lookups find no one new; with enough peers it looks again every DISCOVER_MAX_MS.
 */
export const MIN_ENTITY_PEERS = 2
export const DISCOVER_MIN_MS = 1_000
export const DISCOVER_MAX_MS = 60_000
/** Hosts dialled from one lookup, and the lookup's deadline. */
const DISCOVER_LIMIT = 8
const DISCOVER_TIMEOUT_MS = 20_000
/** A provider record no DHT peer took (none known yet) is offered again after this. */
const PROVIDE_RETRY_MS = 10_000

export interface EntityHostInit {
  entity: EntityMachine
  /** The network's root entity: synced over sync/1 (every release speaks it), the others over sync/2. */
  root: boolean
  server: Server
  store: KeyValueStore
  network: Network
  /** Always given: the engine signs only at heights where this key is in the validator set. */
  validator: ValidatorSigner
  /** The key's record beside it, which outlives the database. */
  signerGuard: SignerState
  config: Pick<NodeConfig, 'consensus' | 'storage'>
  /** The node's instruments with this entity's label bound (NodeMetrics.forEntity). */
  metrics: EntityMetrics
  useless: UselessBudget
  logger: Logger
  emit: (event: NodeEvent) => void
  /** A failed write: consensus stops for good (fail-stop). */
  onFatal: (err: Error) => void
}

export class EntityHost {
  readonly entity: EntityMachine
  readonly consensus: ConsensusLoop
  readonly syncer: Syncer
  readonly txs: TxBatches
  readonly pruner: Pruner
  private readonly follow: FollowOrSync
  private readonly init: EntityHostInit
  private readonly log: Logger
  /**
   * The head as it is on disk: what the API reads. The entity's tip in memory runs ahead of it
   * for the few milliseconds between applying a block and writing its frame, and a read that saw
   * height H must find block H.
   */
  private durableTip: Tip
  private lastBlockTime: number
  /** The entity's gossip topics, subscribed from construction until close(). */
  private readonly topics: string[]
  /** Who shares the entity's vote topic is who hosts it with this node (discovery counts them). */
  private readonly voteTopic: string
  /** Discovery and announcement of a joined entity (the root is everyone's: no records). */
  private discoverTimer: ReturnType<typeof setTimeout> | undefined
  private discoverWait = DISCOVER_MIN_MS
  private closing = new AbortController()

  constructor(init: EntityHostInit) {
    this.init = init
    const { entity, server, store, network, validator, signerGuard, config, metrics, useless, logger } = init
    this.entity = entity
    this.durableTip = entity.tip
    this.lastBlockTime = entity.tip.time
    const log = logger.child({ module: 'node' })
    this.log = log
    const topics = network.topics(toHex(entity.id))
    this.topics = Object.values(topics)
    this.voteTopic = topics.vote
    const publish = (topic: string, data: Uint8Array) => {
      network.publish(topic, data).catch((err: Error) => log.debug({ topic, err: err.message }, 'publish failed'))
    }

    // storage.keepBlocks: old blocks pruned in the background, poked after every block
    this.pruner = new Pruner({
      chain: entity.chainStore,
      keepBlocks: config.storage.keepBlocks,
      headHeight: () => this.durableTip.height,
      logger: logger.child({ module: 'storage' }),
      now: Date.now,
      // a catch-up matters more than the history
      busy: () => this.syncer.syncing,
    })
    this.consensus = new ConsensusLoop({
      server,
      store,
      entity,
      signer: validator,
      signerGuard,
      host: {
        publishProposal: (bytes) => publish(topics.proposal, bytes),
        publishVote: (bytes) => publish(topics.vote, bytes),
        publishCommit: (bytes) => publish(topics.commit, bytes),
      },
      blockIntervalMs: config.consensus.blockIntervalMs,
      emptyBlockIntervalMs: config.consensus.emptyBlockIntervalMs,
      timeouts: config.consensus,
      now: Date.now,
      logger: logger.child({ module: 'consensus' }),
      onCommitted: (info) => this.committed(info),
      onUseless: (peerId, what) => useless.spend(peerId, what),
      // only a verified commit tells a peer's height; a claim costs nothing to make
      onVerifiedCommit: (peerId, height) => this.syncer.noteHeight(peerId, height),
      onFatal: (err) => init.onFatal(err),
    })
    this.txs = new TxBatches({
      server,
      entity,
      publish: (batch) => publish(topics.txs, batch),
      batchMs: config.consensus.txBatchMs,
      onUseless: (peerId, what) => useless.spend(peerId, what),
    })
    this.syncer = new Syncer({
      ...(init.root ? { protocol: network.syncProtocol } : { protocol: network.entitySyncProtocol, encodeRequest: (r) => encodeEntitySyncRequest(entity.id, r) }),
      network,
      server,
      entity,
      threshold: config.consensus.syncThreshold,
      // an idle network moves its tip once a heartbeat: two missed ones and a round mean stalled
      stalledAfterMs: Math.max(STALLED_AFTER_MS, 2 * config.consensus.emptyBlockIntervalMs + timeoutMs(config.consensus.propose, 0)),
      logger: logger.child({ module: 'sync' }),
      now: Date.now,
      onApplied: (height, txHashes) => {
        metrics.syncBlockApplied()
        this.committed({ height, hash: entity.tip.hash, txHashes })
      },
    })
    // Consensus runs unless the node is proven behind; sync runs until it is not (sync/follow.ts).
    this.follow = new FollowOrSync({
      syncer: this.syncer,
      consensus: this.consensus,
      tipHeight: () => entity.tip.height,
      intervalMs: SYNC_CHECK_MS,
      logger: logger.child({ module: 'sync' }),
      onEpisode: ({ syncing, height, target }) => {
        metrics.setSyncing(syncing)
        init.emit({ type: 'sync', entity: toHex(entity.id), syncing, height, target })
        // the pruner waits out a sync; a node that only ever catches up gets its turn here
        if (!syncing) this.pruner.poke()
      },
    })

    const verdictOf = (kind: string, verdict: Verdict, from: string) => {
      metrics.gossipMessage(kind, verdict)
      if (verdict === 'reject') init.emit({ type: 'rejected', source: 'gossip', code: `GOSSIP_${kind.toUpperCase()}_REJECTED`, from, topic: kind, entity: toHex(entity.id) })
      return verdict
    }
    const noop = () => {}
    // A transaction batch held for validation holds up to 1 MiB: their budget is the tightest.
    network.subscribe(topics.txs, async (data, from) => verdictOf('txs', await this.txs.receiveQueued(data, from), from), noop, TX_VALIDATION_BUDGET)
    network.subscribe(topics.proposal, (data, from) => verdictOf('proposal', this.consensus.receiveProposal(data, from), from), noop)
    network.subscribe(topics.vote, (data, from) => verdictOf('vote', this.consensus.receiveVote(data, from), from), noop)
    network.subscribe(topics.commit, (data, from) => verdictOf('commit', this.consensus.receiveCommit(data, from), from), noop)
  }

  /** The head as it is on disk (see durableTip). */
  durable(): Tip {
    return this.durableTip
  }

  /** Whether this node's validator key is in the entity's current set. */
  isValidator(): boolean {
    return this.entity.tip.state.validators().some((v) => equals(v.publicKey, this.init.validator.publicKey))
  }

  /** Starts consensus, and the watch that hands over to sync when the node falls behind. */
  async start(): Promise<void> {
    await this.consensus.start()
    this.follow.start()
    if (!this.init.root) {
      void this.announce()
      this.scheduleDiscovery(0)
    }
  }

  /** Offers this node as a host of the entity in the DHT until a peer takes the record (kad-dht renews it). */
  private async announce(): Promise<void> {
    const hex = toHex(this.entity.id)
    while (!this.closing.signal.aborted) {
      try {
        await this.init.network.providers.provide(hex, { signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(DISCOVER_TIMEOUT_MS)]) })
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, PROVIDE_RETRY_MS).unref())
      }
    }
  }

  private scheduleDiscovery(ms: number): void {
    if (this.closing.signal.aborted) return
    this.discoverTimer = setTimeout(() => void this.discover(), ms)
    this.discoverTimer.unref?.()
  }

  /** Dials hosts of the entity found in the DHT while too few peers share its topics. */
  private async discover(): Promise<void> {
    const { network } = this.init
    if (network.topicPeers(this.voteTopic).length >= MIN_ENTITY_PEERS) return this.scheduleDiscovery(DISCOVER_MAX_MS)
    let dialled = 0
    try {
      const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(DISCOVER_TIMEOUT_MS)])
      const hosts = await network.providers.find(toHex(this.entity.id), DISCOVER_LIMIT, { signal })
      dialled = await network.providers.connect(hosts, { signal })
      if (dialled > 0) this.log.info({ found: hosts.length, dialled }, 'dialled hosts of the entity found in the DHT')
    } catch {
      // no DHT peer yet, or the lookup timed out: try again later
    }
    this.discoverWait = dialled > 0 ? DISCOVER_MIN_MS : Math.min(this.discoverWait * 2, DISCOVER_MAX_MS)
    this.scheduleDiscovery(this.discoverWait)
  }

  /** Stops consensus and sync (the frame log is the node's to flush). */
  stop(): void {
    this.closing.abort()
    clearTimeout(this.discoverTimer)
    this.follow.stop()
    this.consensus.stop()
  }

  /** Leaves the entity's topics and stops everything of it (the node then leaves it in the server). */
  async close(): Promise<void> {
    this.closing.abort()
    clearTimeout(this.discoverTimer)
    if (!this.init.root) await this.init.network.providers.withdraw(toHex(this.entity.id)).catch(() => {})
    this.stop()
    this.txs.stop()
    for (const topic of this.topics) this.init.network.unsubscribe(topic)
    await this.pruner.stop()
  }

  /** A failed write stopped consensus: no more hand-overs to it. */
  halt(): void {
    this.follow.stop()
  }

  /** A peer left: its sync claims go with it. */
  forget(peerId: string): void {
    this.syncer.forget(peerId)
  }

  private committed(info: Pick<CommittedInfo, 'height' | 'hash' | 'txHashes'> & Partial<CommittedInfo>): void {
    const { entity, metrics, emit } = this.init
    this.durableTip = entity.tip
    const time = entity.tip.time
    metrics.blockCommitted({
      height: info.height,
      intervalSeconds: (time - this.lastBlockTime) / 1000,
      ...(info.seenAt !== undefined && info.committedAt !== undefined ? { latencySeconds: (info.committedAt - info.seenAt) / 1000 } : {}),
      ...(info.round !== undefined ? { rounds: info.round + 1 } : {}),
    })
    this.lastBlockTime = time
    metrics.mempool(entity.mempool.size, entity.mempool.bytes)
    emit({ type: 'block', entity: toHex(entity.id), height: info.height, hash: toHex(info.hash), txs: info.txHashes.length, time })
    this.pruner.poke()
  }
}
