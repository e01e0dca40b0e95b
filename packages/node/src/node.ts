// The composition root: builds storage, the server machine, the network, consensus, sync, the
// API and metrics from a node home, starts them in order (undoing what started if a later step
// fails) and stops them in reverse, the database last. Everything that happens to the chain goes
// through the server machine, whose frames are the write-ahead log.

import { EventEmitter } from 'node:events'
import { createHash } from 'node:crypto'
import {
  AccountSigner,
  type EntityMachine,
  type Tip,
  LevelStore,
  Server,
  ValidatorSigner,
  equals,
  timeoutMs,
  toHex,
} from '@p2pnode/core'
import type { Logger } from 'pino'
import type { NodeConfigInput } from './config.ts'
import { type LoadedHome, loadHome } from './home/home.ts'
import { SignerState } from './home/signer-state.ts'
import { createLogger } from './logger.ts'
import { Network } from './network/network.ts'
import { networkConfig } from './network/config.ts'
import { ConsensusLoop, type CommittedInfo } from './consensus/loop.ts'
import { TxBatches } from './gossip/tx-batches.ts'
import type { Verdict } from './gossip/verdicts.ts'
import { STALLED_AFTER_MS, Syncer } from './sync/syncer.ts'
import { FollowOrSync } from './sync/follow.ts'
import { DEFAULT_USELESS_BURST, DEFAULT_USELESS_PER_SECOND, UselessBudget } from './gossip/useless.ts'
import { serveSync, MAX_SYNC_REQUEST_BYTES } from './sync/protocol.ts'
import { NodeMetrics } from './metrics/metrics.ts'
import { createMetricsServer } from './metrics/server.ts'
import { createApiServer } from './api/server.ts'
import type { NodeEvent } from './api/node-api.ts'
import { NodeApiImpl } from './node-api-impl.ts'
import { Pruner } from './storage/pruner.ts'

/** How often the server seals a frame of what arrived (the seed's 100 ms tick). */
export const FRAME_INTERVAL_MS = 100
/** How often the node asks peers how far they are, to notice it fell behind. */
export const SYNC_CHECK_MS = 1_000
/** Transaction batches in validation at once, in all and from one peer (network/gossip.ts). */
export const TX_VALIDATION_BUDGET = { maxPending: 64, maxPendingPerPeer: 16 }

export interface NodeOptions {
  home: string
  /** Overrides of the home's config file (environment, flags). */
  config?: NodeConfigInput
  logger?: Logger
}

export interface RunningNode {
  readonly home: LoadedHome
  readonly peerId: string
  readonly apiUrl: string
  readonly metricsUrl: string | undefined
  readonly api: NodeApiImpl
  stop(): Promise<void>
}

type Step = { name: string; stop: () => Promise<void> | void }

/** Builds and starts a node from its home. Resolves once the API answers. */
export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const home = await loadHome(options.home, options.config ?? {})
  const { config, genesis, keys, paths } = home
  const logger = options.logger ?? createLogger({ level: config.log.level, format: config.log.format })
  const log = logger.child({ module: 'node' })
  const started: Step[] = []
  const undo = async () => {
    for (const step of started.reverse()) {
      try {
        await step.stop()
      } catch (err) {
        log.error({ err, step: step.name }, 'stopping failed')
      }
    }
  }

  try {
    const store = await LevelStore.open(paths.data)
    started.push({ name: 'store', stop: () => store.close() })

    const accountKey = new AccountSigner(keys.accountSeed)
    const serverId = createHash('sha256').update('p2pnode server').update(accountKey.publicKey).digest()
    const server = await Server.open({
      id: serverId,
      store,
      entities: [genesis],
      validatorSeeds: [keys.validatorSeed],
      accountSeeds: [keys.accountSeed],
      sync: config.storage.sync,
      keepFrames: config.storage.keepFrames,
      mempool: config.mempool,
    })
    const entity = server.entity(server.entityIds()[0]!)!
    // The server's own signer instances: they hold the records restored from disk (the votes
    // signed before a restart), which a fresh object made from the same seed would not.
    const validator = server.validator(new ValidatorSigner(keys.validatorSeed).id)!
    // The same key's record beside it, which outlives the database (fails closed if unreadable).
    const signerGuard = await SignerState.load(paths, validator.publicKey)
    started.push({ name: 'signer record', stop: () => signerGuard.close() })
    const account = server.account(accountKey.id)!
    const events = new EventEmitter()
    const emit = (event: NodeEvent) => events.emit('event', event)

    // Nothing scrapes the metrics when they are off: no process collectors (their event-loop
    // monitor wakes the process 10 times a second) and no libp2p counters on every stream.
    const metrics = new NodeMetrics({ labels: {}, defaultMetrics: config.metrics.enabled })
    const network = await Network.create(
      networkConfig({ ...config.p2p, network: config.network, dataDir: paths.p2p }),
      { logger: logger.child({ module: 'network' }), ...(config.metrics.enabled ? { metricsRegistry: metrics.registry } : {}) },
    )
    const topics = network.topics(toHex(entity.id))
    const publish = (topic: string, data: Uint8Array) => {
      network.publish(topic, data).catch((err: Error) => log.debug({ topic, err: err.message }, 'publish failed'))
    }

    const isValidator = () => entity.tip.state.validators().some((v) => equals(v.publicKey, validator.publicKey))
    // What the API reads: the head as it is on disk. The entity's tip in memory runs ahead of it
    // for the few milliseconds between applying a block and writing its frame, and a read that
    // saw height H must find block H.
    let durable: Tip = entity.tip
    let lastBlockTime = entity.tip.time
    // storage.keepBlocks: old blocks pruned in the background, poked after every block
    const pruner = new Pruner({
      chain: entity.chainStore,
      keepBlocks: config.storage.keepBlocks,
      headHeight: () => durable.height,
      logger: logger.child({ module: 'storage' }),
      now: Date.now,
      // a catch-up matters more than the history; syncer is made below, before any block comes
      busy: () => syncer.syncing,
    })
    started.push({ name: 'pruner', stop: () => pruner.stop() })
    const onCommitted = (info: Pick<CommittedInfo, 'height' | 'hash' | 'txHashes'> & Partial<CommittedInfo>) => {
      durable = entity.tip
      const time = entity.tip.time
      metrics.blockCommitted({
        height: info.height,
        intervalSeconds: (time - lastBlockTime) / 1000,
        ...(info.seenAt !== undefined && info.committedAt !== undefined ? { latencySeconds: (info.committedAt - info.seenAt) / 1000 } : {}),
        ...(info.round !== undefined ? { rounds: info.round + 1 } : {}),
      })
      lastBlockTime = time
      metrics.mempool(entity.mempool.size, entity.mempool.bytes)
      emit({ type: 'block', height: info.height, hash: toHex(info.hash), txs: info.txHashes.length, time })
      pruner.poke()
    }

    const useless = new UselessBudget({
      burst: DEFAULT_USELESS_BURST,
      perSecond: DEFAULT_USELESS_PER_SECOND,
      now: Date.now,
      penalize: (peerId, reason) => network.penalize(peerId, reason),
    })
    let fatal: ((err: Error) => void) | undefined
    let stoppedBy: Error | undefined
    const consensus = new ConsensusLoop({
      server,
      store,
      entity,
      // Always given: the engine signs only at heights where this key is in the validator set.
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
      onCommitted,
      onUseless: (peerId, what) => useless.spend(peerId, what),
      // only a verified commit tells a peer's height; a claim costs nothing to make
      onVerifiedCommit: (peerId, height) => syncer.noteHeight(peerId, height),
      onFatal: (err) => fatal?.(err),
    })
    const txs = new TxBatches({
      server,
      entity,
      publish: (batch) => publish(topics.txs, batch),
      batchMs: config.consensus.txBatchMs,
      onUseless: (peerId, what) => useless.spend(peerId, what),
    })
    const syncer = new Syncer({
      protocol: network.syncProtocol,
      network,
      server,
      entity,
      threshold: config.consensus.syncThreshold,
      // an idle network moves its tip once a heartbeat: two missed ones and a round mean stalled
      stalledAfterMs: Math.max(STALLED_AFTER_MS, 2 * config.consensus.emptyBlockIntervalMs + timeoutMs(config.consensus.propose, 0)),
      logger: logger.child({ module: 'sync' }),
      now: Date.now,
      onApplied: (height, txHashes) => {
        metrics.syncBlocksApplied.inc()
        onCommitted({ height, hash: entity.tip.hash, txHashes })
      },
    })

    const verdictOf = (kind: string, verdict: Verdict, from: string) => {
      metrics.gossipMessage(kind, verdict)
      if (verdict === 'reject') emit({ type: 'rejected', source: 'gossip', code: `GOSSIP_${kind.toUpperCase()}_REJECTED`, from, topic: kind })
      return verdict
    }
    const noop = () => {}
    // A transaction batch held for validation holds up to 1 MiB: their budget is the tightest.
    network.subscribe(topics.txs, async (data, from) => verdictOf('txs', await txs.receiveQueued(data, from), from), noop, TX_VALIDATION_BUDGET)
    network.subscribe(topics.proposal, (data, from) => verdictOf('proposal', consensus.receiveProposal(data, from), from), noop)
    network.subscribe(topics.vote, (data, from) => verdictOf('vote', consensus.receiveVote(data, from), from), noop)
    network.subscribe(topics.commit, (data, from) => verdictOf('commit', consensus.receiveCommit(data, from), from), noop)
    await network.handle(network.syncProtocol, (request) => serveSync(request, entity.chainStore, () => ({ height: entity.tip.height, headHash: entity.tip.hash })), {
      maxRequestBytes: MAX_SYNC_REQUEST_BYTES,
      // a request rate no honest peer reaches (network/serving-budget.ts) costs a penalty
      onAbuse: (peerId, reason) => network.penalize(peerId, `sync serving: ${reason}`),
    })
    network.on('peer:connect', (peerId) => {
      metrics.peers.set(network.peers().length)
      const peer = network.peers().find((p) => p.peerId === peerId)
      emit({ type: 'peer:connect', peerId, addr: peer?.addr ?? '' })
    })
    network.on('peer:disconnect', (peerId) => {
      metrics.peers.set(network.peers().length)
      syncer.forget(peerId)
      useless.forget(peerId)
      emit({ type: 'peer:disconnect', peerId })
    })
    network.on('peer:banned', (ban) => {
      emit({ type: 'peer:banned', peerId: ban.peerId, until: ban.until, reason: ban.reason })
    })

    await network.start()
    started.push({ name: 'network', stop: () => network.stop() })

    // The frame timer: whatever arrived (transactions above all) is sealed within
    // FRAME_INTERVAL_MS. Armed by the first input after a seal, so an idle node is not woken ten
    // times a second to find nothing (each wake-up costs a VM guest about 0.35 ms).
    let frameTimer: ReturnType<typeof setTimeout> | undefined
    server.onDirty(() => {
      frameTimer ??= setTimeout(() => {
        frameTimer = undefined
        if (server.dirty) server.flush(Date.now()).catch((err: Error) => log.fatal({ err }, 'sealing a frame failed'))
      }, FRAME_INTERVAL_MS)
    })
    started.push({ name: 'frames', stop: async () => {
      clearTimeout(frameTimer)
      txs.stop()
      await server.flush(Date.now())
    } })

    // Consensus runs unless the node is proven behind; sync runs until it is not (sync/follow.ts).
    const follow = new FollowOrSync({
      syncer,
      consensus,
      tipHeight: () => entity.tip.height,
      intervalMs: SYNC_CHECK_MS,
      logger: logger.child({ module: 'sync' }),
      onEpisode: ({ syncing, height, target }) => {
        metrics.setSyncing(syncing)
        emit({ type: 'sync', syncing, height, target })
        // the pruner waits out a sync; a node that only ever catches up gets its turn here
        if (!syncing) pruner.poke()
      },
    })
    await consensus.start()
    follow.start()
    started.push({ name: 'consensus', stop: () => {
      follow.stop()
      consensus.stop()
    } })
    // A failed write stops consensus for good (fail-stop): the node says so on /health and in its
    // log, and the operator (or systemd) restarts it to recover from what is on disk.
    fatal = (err) => {
      stoppedBy = err
      follow.stop()
      emit({ type: 'fatal', message: err.message })
    }

    const api = new NodeApiImpl({ home, server, entity, durable: () => durable, network, consensus, syncer, txs, account, validator, events, fatal: () => stoppedBy })
    const apiServer = createApiServer({
      node: api,
      host: config.api.host,
      port: config.api.port,
      token: home.apiToken,
      maxBodyBytes: config.api.maxBodyBytes,
      requestsPerSecond: config.api.requestsPerSecond,
      logger: logger.child({ module: 'api' }),
      metrics,
    })
    const { url: apiUrl } = await apiServer.start()
    started.push({ name: 'api', stop: () => apiServer.stop() })

    let metricsUrl: string | undefined
    if (config.metrics.enabled) {
      const metricsServer = createMetricsServer({ registry: metrics.registry, host: config.metrics.host, port: config.metrics.port })
      metricsUrl = (await metricsServer.start()).url
      started.push({ name: 'metrics', stop: () => metricsServer.stop() })
    }

    log.info({ peerId: network.peerId, api: apiUrl, metrics: metricsUrl, listen: network.addresses(), height: entity.tip.height, validator: isValidator() }, 'node started')
    if (!isLoopback(config.api.host)) {
      log.warn({ host: config.api.host }, 'the HTTP API listens beyond this machine without TLS: its bearer token crosses the network in clear text (put it behind a TLS proxy or an ssh tunnel)')
    }
    if (isValidator() && !config.storage.sync) {
      log.warn('storage.sync is off: a power loss can lose votes this validator already sent, and with them its guard against signing twice')
    }
    return {
      home,
      peerId: network.peerId,
      apiUrl,
      metricsUrl,
      api,
      stop: async () => {
        log.info('stopping')
        await undo()
      },
    }
  } catch (err) {
    await undo()
    throw err
  }
}

export type { EntityMachine }

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}
