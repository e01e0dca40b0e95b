// Keeps the node at or above minConnections. libp2p 2.x no longer dials discovered peers by
// itself, so this dials peers the peer store knows (bootstrap peers, peers the DHT or mDNS
// reported, peers remembered from before a restart) and, when it knows no one it is not already
// connected to, asks the DHT for the peers closest to itself: that lookup is what introduces a
// node that only knew its bootstrap peer to the rest of the network.
//
// It works in ticks, and what it costs idle is how often they run:
// - below minConnections with work to do (peers to dial, a lookup due), every DIAL_TICK_MIN_MS;
// - below minConnections with nothing to do (a network smaller than minConnections), the wait
//   doubles up to DIAL_TICK_MAX_MS, shortened to when the next lookup or the next peer's
//   backoff is due;
// - at or above minConnections, no tick at all.
// Events wake it at once: a connection made (the first one starts a DHT lookup once kad-dht has
// admitted the peer to its routing table), a connection lost, a peer newly in the peer store.
// Before, it ticked every 500 ms whatever it had to do, reading the whole peer store each time
// while below minConnections.

import type { AbortOptions, PeerId } from '@libp2p/interface'
import type { SingleKadDHT } from '@libp2p/kad-dht'
import type { BanList } from './bans.ts'
import { DialBackoff } from './dial-backoff.ts'
import type { P2p } from './libp2p.ts'
import type { Logger } from './logger.ts'

export const DIAL_TICK_MIN_MS = 200
export const DIAL_TICK_MAX_MS = 30_000
export const MAX_PARALLEL_DIALS = 4
export const LOOKUP_INTERVAL_MIN_MS = 1000
export const LOOKUP_INTERVAL_MAX_MS = 60_000
/** A lookup's whole deadline; kad-dht gives each request its own (5 s and up, longer after failures). */
export const LOOKUP_TIMEOUT_MS = 30_000
/** Peers identified again when the DHT's routing table is empty while the node has connections. */
export const REIDENTIFY_PEERS = 3
/**
 * How long the routing table may stay empty while the node has connections before the dialer
 * identifies its peers again (kad-dht admits a peer after identify and a ping: milliseconds on
 * an idle machine, seconds on a loaded one).
 */
export const TABLE_EMPTY_REIDENTIFY_MS = 5_000

/** What the dialer uses of libp2p (P2p has it all; tests pass a stub). */
export interface DialerHost {
  peerId: PeerId
  getPeers(): PeerId[]
  dial(peer: PeerId, options?: AbortOptions): Promise<unknown>
  peerStore: { all(): Promise<Array<{ id: PeerId; addresses: unknown[] }>> }
  peerRouting: { getClosestPeers(key: Uint8Array, options?: AbortOptions): AsyncIterable<unknown> }
  /** Peers in the DHT's routing table. */
  dhtPeers(): number
  /** Runs identify again on a connection to the peer (kad-dht then checks it for its table again). */
  reidentify(peer: PeerId, options?: AbortOptions): Promise<void>
}

/** The dialer's view of the node's libp2p. */
export function dialerHost(libp2p: P2p): DialerHost {
  return {
    peerId: libp2p.peerId,
    getPeers: () => libp2p.getPeers(),
    dial: (peer, options) => libp2p.dial(peer, options),
    peerStore: libp2p.peerStore,
    peerRouting: libp2p.peerRouting,
    // kad-dht's one-DHT service has a routing table (SingleKadDHT); unknown counts as not empty
    dhtPeers: () => (libp2p.services.dht as Partial<SingleKadDHT>).routingTable?.size ?? 1,
    reidentify: async (peer, options) => {
      const connection = libp2p.getConnections(peer).find((c) => c.status === 'open')
      if (connection !== undefined) await libp2p.services.identify.identify(connection, options)
    },
  }
}

/** Time as the dialer sees it (tests pass a manual clock). */
export interface DialerClock {
  now(): number
  setTimeout(run: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

const REAL_CLOCK: DialerClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}

export interface DialerInit {
  minConnections: number
  /** Peer ids of the operator's bootstrap addresses (retried sooner while the node has no connection). */
  bootstrap?: string[]
  clock?: DialerClock
}

export class Dialer {
  private readonly host: DialerHost
  private readonly minConnections: number
  private readonly bans: BanList
  private readonly log: Logger
  private readonly clock: DialerClock
  private readonly backoff: DialBackoff
  private readonly dialing = new Set<string>()
  /**
   * Peers connected, from the connect and disconnect events: an event at or above
   * minConnections costs a set lookup, not libp2p's list of every connection (1.6% of a busy
   * bootstrap node's CPU when connections churned). Ticks still ask libp2p.
   */
  private readonly peers = new Set<string>()
  private running = false
  private ticking = false
  private timer: unknown
  private timerAt = Infinity
  /** The wait after a tick that found nothing to do; doubles each time, back to the minimum on any event. */
  private idleDelay = DIAL_TICK_MIN_MS
  private lookup: AbortController | undefined
  private lookupInterval = LOOKUP_INTERVAL_MIN_MS
  private nextLookupAt = 0
  /** Since when the DHT's routing table has been empty while the node had connections. */
  private tableEmptySince: number | undefined
  /** Peers newly in the peer store since start (what a lookup found is the difference). */
  private discoveries = 0
  /** Ticks run since start (for tests and the cost figures). */
  ticks = 0

  constructor(host: DialerHost, bans: BanList, log: Logger, init: DialerInit) {
    this.host = host
    this.bans = bans
    this.log = log
    this.minConnections = init.minConnections
    this.clock = init.clock ?? REAL_CLOCK
    this.backoff = new DialBackoff(init.bootstrap ?? [])
  }

  start(): void {
    if (this.minConnections === 0 || this.running) return
    this.running = true
    this.schedule(0)
  }

  stop(): void {
    this.running = false
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.timerAt = Infinity
    this.lookup?.abort()
  }

  /** The node is connected to the peer (either way): its backoff is cleared. */
  connected(peerId: string): void {
    this.peers.add(peerId)
    this.backoff.succeeded(peerId)
    this.wake()
  }

  /** The node has no connection left to the peer. */
  disconnected(peerId: string): void {
    this.peers.delete(peerId)
    this.wake()
  }

  /** A peer entered the peer store (the DHT, mDNS or an inbound connection told of it). */
  discovered(): void {
    this.discoveries++
    this.wake()
  }

  /** Whether a tick is waiting to run (false at or above minConnections with nothing in flight). */
  get scheduled(): boolean {
    return this.timer !== undefined
  }

  private wake(): void {
    if (!this.running) return
    this.idleDelay = DIAL_TICK_MIN_MS
    if (this.peers.size >= this.minConnections) return
    this.schedule(DIAL_TICK_MIN_MS)
  }

  /** Runs a tick in `ms` unless one is due sooner already. */
  private schedule(ms: number): void {
    const at = this.clock.now() + ms
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return
      this.clock.clearTimeout(this.timer)
    }
    this.timerAt = at
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.timerAt = Infinity
      void this.tick()
    }, ms)
  }

  private async tick(): Promise<void> {
    if (!this.running) return
    if (this.ticking) {
      // a wake during a tick: look again right after it
      this.schedule(DIAL_TICK_MIN_MS)
      return
    }
    this.ticking = true
    this.ticks++
    // undefined: nothing to wait for; a dial ending or an event wakes the dialer
    let next: number | undefined
    try {
      const connected = new Set(this.host.getPeers().map((id) => id.toString()))
      const wanted = this.minConnections - connected.size - this.dialing.size
      if (wanted <= 0) return
      const now = this.clock.now()
      const { ready, soonest } = await this.candidates(connected, now)
      if (ready.length > 0) {
        for (const peerId of ready.slice(0, Math.min(wanted, MAX_PARALLEL_DIALS))) void this.dial(peerId)
        this.idleDelay = DIAL_TICK_MIN_MS
        next = DIAL_TICK_MIN_MS
        return
      }
      let due = soonest
      if (connected.size > 0 && this.lookup === undefined) {
        if (this.host.dhtPeers() > 0) {
          this.tableEmptySince = undefined
          if (now >= this.nextLookupAt) void this.lookupSelf()
          else due = Math.min(due, this.nextLookupAt)
        } else {
          // a lookup would find no one until kad-dht admits a peer to its table: wait for that
          // (the ticks below look again), and identify the peers again when it is long overdue
          this.tableEmptySince ??= now
          const overdueAt = Math.max(this.tableEmptySince + TABLE_EMPTY_REIDENTIFY_MS, this.nextLookupAt)
          if (now >= overdueAt) void this.reidentify()
          else due = Math.min(due, overdueAt)
        }
      }
      // nothing to dial now: wait longer each time, but no longer than until something is due
      this.idleDelay = Math.min(this.idleDelay * 2, DIAL_TICK_MAX_MS)
      next = Math.max(DIAL_TICK_MIN_MS, Math.min(this.idleDelay, due - now))
    } catch (err) {
      this.log.debug({ err }, 'dial tick failed')
      next = this.idleDelay
    } finally {
      this.ticking = false
      if (this.running && next !== undefined) this.schedule(next)
    }
  }

  /** Peers to dial now (those that answered before first), and when the next backed-off one is ready. */
  private async candidates(connected: Set<string>, now: number): Promise<{ ready: PeerId[]; soonest: number }> {
    const self = this.host.peerId.toString()
    const isolated = connected.size === 0
    const peers = await this.host.peerStore.all()
    const ready: Array<{ id: PeerId; failures: number }> = []
    let soonest = Infinity
    for (const peer of peers) {
      const id = peer.id.toString()
      if (id === self || connected.has(id) || this.dialing.has(id) || peer.addresses.length === 0) continue
      if (this.bans.isBanned(id)) continue
      const at = this.backoff.readyAt(id, isolated)
      if (at > now) {
        soonest = Math.min(soonest, at)
        continue
      }
      ready.push({ id: peer.id, failures: this.backoff.failures(id) })
    }
    ready.sort((a, b) => a.failures - b.failures)
    return { ready: ready.map((c) => c.id), soonest }
  }

  private async dial(peerId: PeerId): Promise<void> {
    const id = peerId.toString()
    this.dialing.add(id)
    try {
      await this.host.dial(peerId)
      this.backoff.succeeded(id)
    } catch (err) {
      const wait = this.backoff.failed(id, this.clock.now())
      this.log.debug({ peer: id, failures: this.backoff.failures(id), wait, err: (err as Error).message }, 'dial failed')
    } finally {
      this.dialing.delete(id)
      this.wake()
    }
  }

  private async lookupSelf(): Promise<void> {
    const controller = new AbortController()
    this.lookup = controller
    const before = this.discoveries
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)])
    try {
      const key = this.host.peerId.toMultihash().bytes
      for await (const _peer of this.host.peerRouting.getClosestPeers(key, { signal })) {
        // the query dials the peers it asks, and every peer it hears of enters the peer store
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'self lookup failed')
    } finally {
      this.lookup = undefined
    }
    const found = this.discoveries - before
    this.log.debug({ found }, 'self lookup done')
    this.lookupDone(found > 0)
  }

  /**
   * kad-dht checks a new contact once, with a ping, when its connection is identified; a check
   * that failed (a peer too slow under load) leaves the peer out of the table for the life of the
   * connection, and a node connected to its bootstrap peer alone stayed alone. Identify again,
   * so that kad-dht checks again. Paced like lookups.
   */
  private async reidentify(): Promise<void> {
    const controller = new AbortController()
    this.lookup = controller
    const peers = this.host.getPeers().slice(0, REIDENTIFY_PEERS)
    this.log.debug({ peers: peers.length }, 'DHT routing table empty while connected: identifying peers again')
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)])
    await Promise.allSettled(peers.map((peer) => this.host.reidentify(peer, { signal })))
    this.lookup = undefined
    this.tableEmptySince = undefined
    this.lookupDone(false)
  }

  private lookupDone(foundSomeone: boolean): void {
    if (!this.running) return
    // a lookup that finds nobody new is not worth repeating soon
    this.lookupInterval = foundSomeone ? LOOKUP_INTERVAL_MIN_MS : Math.min(this.lookupInterval * 2, LOOKUP_INTERVAL_MAX_MS)
    this.nextLookupAt = this.clock.now() + this.lookupInterval
    // new peers woke the dialer already (discovered()); otherwise look again soon: the table may
    // have filled, and the next lookup comes due
    if (this.host.getPeers().length < this.minConnections) this.schedule(DIAL_TICK_MIN_MS)
  }
}
