// The face of the network layer: what the node uses to find peers, gossip, and ask peers for
// data. It owns the libp2p node, the peer store's database, the ban list (saved in
// <dataDir>/bans.json) and the dialer, and starts and stops them in order.

import { EventEmitter } from 'node:events'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { IdentifyResult, PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { LevelDatastore } from 'datastore-level'
import { denyNonPublic, resolveDhtAddresses } from './addresses.ts'
import { BANS_FILE, BanFile } from './ban-file.ts'
import { type Ban, BanList } from './bans.ts'
import { type NetworkConfig, validateNetworkConfig } from './config.ts'
import { Dialer, dialerHost } from './dialer.ts'
import { NetworkError, NetworkErrorCode } from './errors.ts'
import { Gossip } from './gossip.ts'
import type { MessageHandler, PendingValidations, SubscribeOptions, Validator, VerdictEvent } from './gossip.ts'
import { loadOrCreateNodeKey } from './keys.ts'
import { buildLibp2p } from './libp2p.ts'
import type { P2p } from './libp2p.ts'
import { silentLogger } from './logger.ts'
import type { Logger } from './logger.ts'
import { PeerCachingDatastore } from './peer-datastore.ts'
import { PeerBook } from './peers.ts'
import type { PeerInfo } from './peers.ts'
import { entitySyncProtocol, entityTopics, gossipTopic, isForeignNetwork, syncProtocol } from './protocols.ts'
import { EntityProviders } from './providers.ts'
import type { GossipKind } from './protocols.ts'
import { handle, request } from './request-response.ts'
import type { Registry } from 'prom-client'
import type { HandleOptions, RequestHandler, RequestOptions } from './request-response.ts'
import type { ServingBudget, ServingUsage } from './serving-budget.ts'
import { DEFAULT_PENALTY, GRAYLIST_THRESHOLD } from './scoring.ts'

export const PEER_STORE_DIR = 'peers'
export const BAN_CHECK_INTERVAL_MS = 1000
/** How often expired bans and decayed penalty points are dropped. */
export const PRUNE_INTERVAL_MS = 60_000

export interface NetworkEvents {
  'peer:connect': [peerId: string]
  'peer:disconnect': [peerId: string]
  'peer:banned': [ban: Ban]
  /** Every validated gossip message, whatever its verdict (for metrics and the event stream). */
  'gossip:verdict': [event: VerdictEvent]
}

export interface NetworkOptions {
  logger?: Logger
  /** Registry for libp2p's own metrics (see libp2p.ts). */
  metricsRegistry?: Registry
}

export class Network extends EventEmitter<NetworkEvents> {
  readonly config: NetworkConfig
  readonly peerId: string
  /** Sync of the root (sync/1), and sync whose requests name the entity (sync/2) for the others. */
  readonly syncProtocol: string
  readonly entitySyncProtocol: string
  readonly providers: EntityProviders // which nodes host which entity, in the DHT (providers.ts)
  private readonly libp2p: P2p
  private readonly datastore: LevelDatastore
  private readonly peerRecords: PeerCachingDatastore
  private readonly log: Logger
  private readonly bans: BanList
  private readonly gossip: Gossip
  private readonly dialer: Dialer
  private readonly book = new PeerBook()
  private readonly serving = new Map<string, ServingBudget>()
  private banTimer: ReturnType<typeof setInterval> | undefined
  private pruneTimer: ReturnType<typeof setInterval> | undefined
  private started = false

  private constructor(config: NetworkConfig, libp2p: P2p, datastore: LevelDatastore, peerRecords: PeerCachingDatastore, bans: BanList, log: Logger) {
    super()
    this.config = config
    this.libp2p = libp2p
    this.datastore = datastore
    this.peerRecords = peerRecords
    this.bans = bans
    this.log = log
    this.peerId = libp2p.peerId.toString()
    this.syncProtocol = syncProtocol(config.network)
    this.entitySyncProtocol = entitySyncProtocol(config.network)
    this.providers = new EntityProviders(libp2p, config.network, (id) => this.bans.isBanned(id))
    this.gossip = new Gossip(libp2p.services.pubsub, log.child({ part: 'gossip' }), (event) => this.onVerdict(event))
    this.dialer = new Dialer(dialerHost(libp2p), bans, log.child({ part: 'dialer' }), {
      minConnections: config.minConnections,
      bootstrap: config.bootstrap.flatMap((address) => multiaddr(address).getPeerId() ?? []),
    })
  }

  /**
   * Validates the config, loads (or creates) the node key, opens the peer store, loads the bans
   * saved in <dataDir>/bans.json. Not started.
   */
  static async create(config: NetworkConfig, options: NetworkOptions = {}): Promise<Network> {
    validateNetworkConfig(config)
    const log = (options.logger ?? silentLogger).child({ module: 'network' })
    const privateKey = await loadOrCreateNodeKey(config.dataDir)
    const storeDir = join(config.dataDir, PEER_STORE_DIR)
    await mkdir(storeDir, { recursive: true })
    const datastore = new LevelDatastore(storeDir)
    await datastore.open()
    const peerRecords = new PeerCachingDatastore(datastore, { log: log.child({ part: 'peer-store' }) })
    const bansFile = join(config.dataDir, BANS_FILE)
    const bans = new BanList(Date.now, new BanFile(bansFile, log.child({ part: 'bans' })))
    // libp2p runs from createLibp2p on, before this Network exists: charges made in that moment
    // go to the ban list alone (the score check bans on them within a second)
    let network: Network | undefined
    try {
      await peerRecords.load()
      const loaded = await bans.load()
      if (loaded > 0) log.info({ bans: loaded, file: bansFile }, 'bans loaded')
      const dhtAddresses = resolveDhtAddresses(config)
      if (config.dhtAddresses === 'auto') log.info({ dhtAddresses }, 'DHT address filter chosen from the node\'s addresses')
      const libp2p = await buildLibp2p({
        config,
        privateKey,
        datastore: peerRecords,
        dhtAddresses,
        // a public node dials no private, loopback or link-local address a peer tells it of
        gater: bans.gater(dhtAddresses === 'public' ? denyNonPublic(config.bootstrap) : undefined),
        appPenalty: (peerId) => bans.penalty(peerId),
        onGossipAbuse: (peerId, reason, points) => {
          if (network != null) network.penalize(peerId, reason, points)
          else bans.addPenalty(peerId, points)
        },
        ...(options.metricsRegistry ? { metricsRegistry: options.metricsRegistry } : {}),
      })
      network = new Network(config, libp2p, datastore, peerRecords, bans, log)
      return network
    } catch (err) {
      await bans.flush()
      await datastore.close()
      throw err
    }
  }

  async start(): Promise<void> {
    if (this.started) return
    this.libp2p.addEventListener('peer:connect', this.onConnect)
    this.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
    this.libp2p.addEventListener('peer:identify', this.onIdentify)
    this.libp2p.addEventListener('peer:discovery', this.onDiscovery)
    try {
      await this.libp2p.start()
    } catch (err) {
      // roll back what started; the datastore stays open until stop(), which create() pairs with
      this.removeListeners()
      await Promise.resolve(this.libp2p.stop()).catch(() => {})
      throw err
    }
    this.peerRecords.start()
    this.gossip.start()
    this.dialer.start()
    this.banTimer = setInterval(() => this.checkScores(), BAN_CHECK_INTERVAL_MS)
    this.pruneTimer = setInterval(() => this.bans.prune(), PRUNE_INTERVAL_MS)
    this.started = true
    this.log.info({ peerId: this.peerId, addresses: this.addresses() }, 'network started')
  }

  /** Stops in reverse order of start; the peer store's database closes last. */
  async stop(): Promise<void> {
    clearInterval(this.banTimer)
    this.banTimer = undefined
    clearInterval(this.pruneTimer)
    this.pruneTimer = undefined
    this.dialer.stop()
    this.gossip.stop()
    this.removeListeners()
    await this.libp2p.stop()
    await this.bans.flush()
    await this.peerRecords.stop()
    await this.datastore.close()
    if (this.started) this.log.info({ peerId: this.peerId }, 'network stopped')
    this.started = false
  }

  /** Full multiaddrs of this node, each ending in /p2p/<peer id>. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map((addr) => addr.toString())
  }

  /** The gossip topic of an entity's messages of one kind. */
  topic(entityHex: string, kind: GossipKind): string {
    return gossipTopic(this.config.network, entityHex, kind)
  }

  topics(entityHex: string): Record<GossipKind, string> {
    return entityTopics(this.config.network, entityHex)
  }

  /**
   * Joins a topic. `validate` sees every message before it is forwarded; only 'accept'ed ones
   * reach `onMessage`, and 'reject' lowers the sender's score. At most `options.maxPending`
   * validations run at once on this topic (default 1,024), `options.maxPendingPerPeer` of them
   * for one peer (default 128); messages over either are ignored unvalidated.
   */
  subscribe(topic: string, validate: Validator, onMessage: MessageHandler, options: SubscribeOptions = {}): void {
    this.gossip.subscribe(topic, validate, onMessage, options)
  }

  /** Validations in flight on a topic (total and by peer); undefined when not subscribed. */
  pendingValidations(topic: string): PendingValidations | undefined {
    return this.gossip.pending(topic)
  }

  unsubscribe(topic: string): void {
    this.gossip.unsubscribe(topic)
  }

  /** Publishes to a topic; returns the number of peers it went to (0 is not an error). */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    this.requireStarted()
    return this.gossip.publish(topic, data)
  }

  /** Peers this node sees subscribed to a topic. */
  topicPeers(topic: string): string[] {
    return this.gossip.topicPeers(topic)
  }

  /** Peers in this node's gossip mesh for a topic: the ones it forwards messages to. */
  meshPeers(topic: string): string[] {
    return this.gossip.meshPeers(topic)
  }

  peers(): PeerInfo[] {
    return this.book.list(this.libp2p.getConnections(), (id) => this.gossip.score(id))
  }

  /** Dials a multiaddr with /p2p/<peer id>; returns the peer id. */
  async connect(address: string, signal?: AbortSignal): Promise<string> {
    this.requireStarted()
    const addr = multiaddr(address)
    const id = addr.getPeerId()
    if (id != null && this.bans.isBanned(id)) {
      throw new NetworkError(NetworkErrorCode.PeerBanned, `peer ${id} is banned`, { peerId: id })
    }
    const connection = await this.libp2p.dial(addr, signal == null ? {} : { signal })
    return connection.remotePeer.toString()
  }

  async disconnect(peerId: string): Promise<void> {
    await this.libp2p.hangUp(peerIdFromString(peerId))
  }

  /**
   * Adds penalty points (default DEFAULT_PENALTY) to a peer's score, for misbehaviour the node
   * sees outside gossip validation (a bad sync response, say). Enough points ban the peer.
   */
  penalize(peerId: string, reason: string, points: number = DEFAULT_PENALTY): void {
    const total = this.bans.addPenalty(peerId, points)
    this.log.debug({ peer: peerId, reason, points, total }, 'peer penalized')
    if (-total < GRAYLIST_THRESHOLD) this.autoBan(peerId, reason)
  }

  /**
   * Disconnects a peer and refuses it; returns the ban in force. Without `durationMs` (the
   * node's own bans) it lasts banMinutes, and a second offence never shortens a running ban (it
   * leaves it as it is). An explicit `durationMs` (an operator's) replaces a running ban, longer
   * or shorter. 'peer:banned' is emitted whenever the ban in force is new or replaced. The ban
   * is saved to <dataDir>/bans.json before this resolves; a failed save is logged, not thrown.
   * Throws (before banning anything) on a malformed peer id (libp2p's InvalidParametersError)
   * or a duration that is not a positive number (RangeError).
   */
  async ban(peerId: string, reason: string, durationMs?: number): Promise<Ban> {
    const { ban, hangUp } = this.applyBan(peerId, reason, durationMs)
    await Promise.all([hangUp, this.bans.flush()])
    return ban
  }

  /** Bans (see ban()) and starts the hang-up; the save is left to the ban file's schedule. */
  private applyBan(peerId: string, reason: string, durationMs?: number): { ban: Ban; hangUp: Promise<void> } {
    const id = peerIdFromString(peerId)
    if (durationMs !== undefined && !(durationMs > 0 && Number.isFinite(durationMs))) {
      throw new RangeError(`ban duration must be a positive number of milliseconds, got ${durationMs}`)
    }
    const before = this.bans.find(peerId)
    // An automatic re-ban leaves a running ban as it is: the score check runs every second, and
    // a peer still connected while its hang-up completes must not re-ban (and re-announce) itself.
    const ban =
      durationMs !== undefined
        ? this.bans.ban(peerId, durationMs, reason, { replace: true })
        : (before ?? this.bans.ban(peerId, this.config.banMinutes * 60_000, reason))
    if (ban !== before) {
      this.log.warn({ peer: peerId, reason, until: ban.until, replaced: before != null }, 'peer banned')
      this.emit('peer:banned', ban)
    }
    return { ban, hangUp: this.libp2p.hangUp(id).catch(() => {}) }
  }

  /** Lifts a peer's ban (saved like a ban); false if the peer was not banned. */
  unban(peerId: string): boolean {
    const lifted = this.bans.unban(peerId)
    if (lifted) this.log.info({ peer: peerId }, 'peer unbanned')
    return lifted
  }

  banned(): Ban[] {
    return this.bans.list()
  }

  /**
   * Serves a request/response protocol (e.g. this.syncProtocol), within a serving budget
   * (serving-budget.ts; limits in `options`): over it a request is answered NETWORK_BUSY at once,
   * and a peer asking far too fast is reported to `options.onAbuse`.
   */
  async handle(protocol: string, handler: RequestHandler, options: HandleOptions = {}): Promise<void> {
    this.serving.set(protocol, await handle(this.libp2p, protocol, handler, this.log.child({ protocol }), options))
  }

  async unhandle(protocol: string): Promise<void> {
    await this.libp2p.unhandle(protocol)
    this.serving.delete(protocol)
  }

  /** What a served protocol holds now: requests being served, response bytes, peers tracked. */
  servingUsage(protocol: string): ServingUsage | undefined {
    return this.serving.get(protocol)?.usage()
  }

  /** One request, one response; throws NetworkError (Timeout, ResponseTooLarge, ...). */
  async request(peerId: string, protocol: string, data: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    this.requireStarted()
    if (this.bans.isBanned(peerId)) {
      throw new NetworkError(NetworkErrorCode.PeerBanned, `peer ${peerId} is banned`, { peerId })
    }
    return request(this.libp2p, peerId, protocol, data, options)
  }

  /**
   * The node's own bans (score, penalties, foreign network): fire and forget, never throw, and
   * saved on the ban file's schedule (at most one write a second), not one write each.
   */
  private autoBan(peerId: string, reason: string): void {
    try {
      this.applyBan(peerId, reason)
    } catch (err) {
      this.log.warn({ err, peer: peerId, reason }, 'ban failed')
    }
  }

  private removeListeners(): void {
    this.libp2p.removeEventListener('peer:connect', this.onConnect)
    this.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    this.libp2p.removeEventListener('peer:identify', this.onIdentify)
    this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
  }

  private requireStarted(): void {
    if (!this.started) throw new NetworkError(NetworkErrorCode.NotStarted, 'network is not started')
  }

  private readonly onConnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    // no ping of our own here for peers()' latency: it competed for the connection's ping
    // streams with kad-dht's check of the new contact (see PING_MAX_OUTBOUND_STREAMS); the
    // connection monitor's first ping shows the latency within PING_INTERVAL_MS
    this.dialer.connected(id)
    this.emit('peer:connect', id)
  }

  private readonly onDisconnect = (event: CustomEvent<PeerId>): void => {
    const id = event.detail.toString()
    this.book.forget(id)
    this.dialer.disconnected(id)
    this.emit('peer:disconnect', id)
  }

  /** A peer newly in the peer store: the dialer may want it. */
  private readonly onDiscovery = (): void => {
    this.dialer.discovered()
  }

  private readonly onIdentify = (event: CustomEvent<IdentifyResult>): void => {
    const { peerId, protocols, agentVersion } = event.detail
    const id = peerId.toString()
    this.book.setAgent(id, agentVersion)
    if (isForeignNetwork(this.config.network, protocols)) {
      this.autoBan(id, 'runs another p2pnode network')
    }
  }

  private onVerdict(event: VerdictEvent): void {
    this.emit('gossip:verdict', event)
  }

  private checkScores(): void {
    for (const peerId of this.libp2p.getPeers()) {
      const id = peerId.toString()
      const score = this.gossip.score(id)
      if (score < GRAYLIST_THRESHOLD) this.autoBan(id, `gossip score ${score.toFixed(1)} below ${GRAYLIST_THRESHOLD}`)
    }
  }
}
