// The composition root: builds storage, the server machine, the network, one EntityHost per
// hosted entity (its consensus, sync, transaction gossip and pruning: entity-host.ts), the API and
// metrics from a node home, starts them in order (undoing what started if a later step fails) and
// stops them in reverse, the database last. Everything that happens to a chain goes through the
// server machine, whose frames are the write-ahead log of every entity the node hosts.

import { EventEmitter } from 'node:events'
import { createHash } from 'node:crypto'
import { AccountSigner, type EntityMachine, type Genesis, LevelStore, Server, ValidatorSigner, equals, genesisId, registryEntry, toHex } from '@p2pnode/core'
import type { Logger } from 'pino'
import type { NodeConfigInput } from './config.ts'
import { type LoadedHome, loadHome, validatorSeeds } from './home/home.ts'
import { SignerState } from './home/signer-state.ts'
import { createLogger } from './logger.ts'
import { Network } from './network/network.ts'
import { networkConfig } from './network/config.ts'
import { EntityHost } from './entity-host.ts'
import { DEFAULT_USELESS_BURST, DEFAULT_USELESS_PER_SECOND, UselessBudget } from './gossip/useless.ts'
import { MAX_SYNC_REQUEST_BYTES, serveEntitySync, serveSync } from './sync/protocol.ts'
import { NodeMetrics } from './metrics/metrics.ts'
import { createMetricsServer } from './metrics/server.ts'
import { createApiServer } from './api/server.ts'
import type { NodeEvent } from './api/node-api.ts'
import { NodeApiImpl } from './node-api-impl.ts'

/** How often the server seals a frame of what arrived (the seed's 100 ms tick). */
export const FRAME_INTERVAL_MS = 100

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
      validatorSeeds: validatorSeeds(keys),
      accountSeeds: [keys.accountSeed],
      sync: config.storage.sync,
      keepFrames: config.storage.keepFrames,
      mempool: config.mempool,
    })
    const entity = server.entity(server.entityIds()[0]!)!
    // The server's own signer instances: they hold the records restored from disk (the votes
    // signed before a restart), which a fresh object made from the same seed would not. Each with
    // its record beside the key, which outlives the database (fails closed if unreadable).
    const signers: Array<{ validator: ValidatorSigner; guard: SignerState }> = []
    for (const seed of validatorSeeds(keys)) {
      const key = server.validator(new ValidatorSigner(seed).id)!
      const guard = await SignerState.load(paths, key.publicKey)
      started.push({ name: 'signer record', stop: () => guard.close() })
      signers.push({ validator: key, guard })
    }
    const validator = signers[0]!.validator
    /** The key an entity runs with: the first of the node's keys in its current set, else the primary. */
    const signerFor = (hosted: EntityMachine) => {
      const set = hosted.tip.state.validators()
      return signers.find((k) => set.some((v) => equals(v.publicKey, k.validator.publicKey))) ?? signers[0]!
    }
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
    const useless = new UselessBudget({
      burst: DEFAULT_USELESS_BURST,
      perSecond: DEFAULT_USELESS_PER_SECOND,
      now: Date.now,
      penalize: (peerId, reason) => network.penalize(peerId, reason),
    })
    let stoppedBy: Error | undefined
    // The entities this node hosts: the network's root (the genesis file's) first, then those it
    // joined (the server root lists them; `p2pnode entity join`). Each runs in its own EntityHost.
    const hosts: EntityHost[] = []
    const labelOf = (id: Uint8Array) => registryEntry(hosts[0]?.durable().state ?? entity.tip.state, id)?.name || toHex(id)
    const makeHost = (hosted: EntityMachine, root: boolean, key = signerFor(hosted)) =>
      new EntityHost({
        entity: hosted,
        root,
        server,
        store,
        network,
        validator: key.validator,
        signerGuard: key.guard,
        config,
        metrics: metrics.forEntity(root ? 'root' : labelOf(hosted.id)),
        useless,
        logger: root ? logger : logger.child({ entity: labelOf(hosted.id) }),
        emit,
        // A failed write stops consensus for good (fail-stop): the node says so on /health and in
        // its log, and the operator (or systemd) restarts it to recover from what is on disk.
        onFatal: (err) => {
          stoppedBy = err
          for (const h of hosts) h.halt()
          emit({ type: 'fatal', message: err.message })
        },
      })
    hosts.push(makeHost(entity, true))
    for (const id of server.entityIds()) if (server.isJoined(id)) hosts.push(makeHost(server.entity(id)!, false))
    const host = hosts[0]!
    const hostOf = (id: Uint8Array) => hosts.find((h) => equals(h.entity.id, id))
    started.push({ name: 'pruner', stop: () => Promise.all(hosts.map((h) => h.pruner.stop())).then(() => {}) })

    // a request rate no honest peer reaches (network/serving-budget.ts) costs a penalty
    const serving = { maxRequestBytes: MAX_SYNC_REQUEST_BYTES, onAbuse: (peerId: string, reason: string) => network.penalize(peerId, `sync serving: ${reason}`) }
    const syncTip = (h: EntityHost) => () => ({ height: h.entity.tip.height, headHash: h.entity.tip.hash })
    await network.handle(network.syncProtocol, (request) => serveSync(request, entity.chainStore, syncTip(host)), serving)
    await network.handle(
      network.entitySyncProtocol,
      (request) => serveEntitySync(request, (id) => {
        const h = hostOf(id)
        return h && { chain: h.entity.chainStore, tip: syncTip(h) }
      }),
      serving,
    )

    // Joins and leaves run one at a time, and none once the node is stopping: a join must not
    // open an entity that a leave is still closing, nor start one after consensus stopped.
    let membership: Promise<unknown> = Promise.resolve()
    let closing = false
    const serially = <T>(work: () => Promise<T>): Promise<T> => {
      const next = membership.then(() => {
        if (closing) throw new Error('the node is stopping')
        return work()
      })
      membership = next.catch(() => {})
      return next
    }
    /** Joins an entity at run time: durable in the server's root before it runs (entity-host.ts). */
    const join = (genesis: Genesis): Promise<void> => serially(async () => {
      if (hostOf(genesisId(genesis))) return
      const joined = await server.host(genesis)
      await server.flush(Date.now())
      if (hostOf(joined.id)) return
      const h = makeHost(joined, false)
      hosts.push(h)
      await h.start()
      log.info({ entity: toHex(joined.id), name: labelOf(joined.id), validator: h.isValidator() }, 'joined an entity')
    })
    const leave = (id: Uint8Array): Promise<void> => serially(async () => {
      const at = hosts.findIndex((h) => equals(h.entity.id, id))
      if (at <= 0) throw new Error(at === 0 ? 'the root entity cannot be left' : 'this node does not host that entity')
      const [h] = hosts.splice(at, 1)
      await h!.close()
      server.leave(id)
      await server.flush(Date.now())
      log.info({ entity: toHex(id) }, 'left an entity')
    })

    network.on('peer:connect', (peerId) => {
      metrics.peers.set(network.peers().length)
      const peer = network.peers().find((p) => p.peerId === peerId)
      emit({ type: 'peer:connect', peerId, addr: peer?.addr ?? '' })
    })
    network.on('peer:disconnect', (peerId) => {
      metrics.peers.set(network.peers().length)
      for (const h of hosts) h.forget(peerId)
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
      for (const h of hosts) h.txs.stop()
      await server.flush(Date.now())
    } })

    for (const h of hosts) await h.start()
    started.push({ name: 'consensus', stop: async () => {
      closing = true
      await membership
      for (const h of hosts) h.stop()
    } })

    const api = new NodeApiImpl({ home, hosted: () => hosts, join, leave, server, entity, durable: () => host.durable(), network, consensus: host.consensus, syncer: host.syncer, txs: host.txs, account, validator, events, fatal: () => stoppedBy })
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

    log.info({ peerId: network.peerId, api: apiUrl, metrics: metricsUrl, listen: network.addresses(), height: entity.tip.height, validator: host.isValidator() }, 'node started')
    if (!isLoopback(config.api.host)) {
      log.warn({ host: config.api.host }, 'the HTTP API listens beyond this machine without TLS: its bearer token crosses the network in clear text (put it behind a TLS proxy or an ssh tunnel)')
    }
    if (host.isValidator() && !config.storage.sync) {
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
