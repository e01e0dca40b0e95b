// Keeps the node at or above minConnections. libp2p 2.x no longer dials discovered peers by
// itself, so every tick this dials peers the peer store knows (bootstrap peers, peers the DHT
// or mDNS reported, peers remembered from before a restart) and, when it knows no one it is not
// already connected to, asks the DHT for the peers closest to itself: that lookup is what
// introduces a node that only knew its bootstrap peer to the rest of the network.

import type { PeerId } from '@libp2p/interface'
import type { BanList } from './bans.ts'
import type { Logger } from './logger.ts'
import type { P2p } from './libp2p.ts'

export const DIAL_TICK_MS = 500
export const MAX_PARALLEL_DIALS = 4
export const DIAL_BACKOFF_BASE_MS = 1000
export const DIAL_BACKOFF_MAX_MS = 5 * 60_000
export const LOOKUP_INTERVAL_MIN_MS = 1000
export const LOOKUP_INTERVAL_MAX_MS = 60_000
export const LOOKUP_TIMEOUT_MS = 10_000

interface Backoff {
  failures: number
  nextAt: number
}

export class Dialer {
  private readonly libp2p: P2p
  private readonly minConnections: number
  private readonly bans: BanList
  private readonly log: Logger
  private readonly backoff = new Map<string, Backoff>()
  private readonly dialing = new Set<string>()
  private timer: ReturnType<typeof setInterval> | undefined
  private lookup: AbortController | undefined
  private lookupInterval = LOOKUP_INTERVAL_MIN_MS
  private nextLookupAt = 0
  private ticking = false

  constructor(libp2p: P2p, minConnections: number, bans: BanList, log: Logger) {
    this.libp2p = libp2p
    this.minConnections = minConnections
    this.bans = bans
    this.log = log
  }

  start(): void {
    if (this.minConnections === 0) return
    this.timer = setInterval(() => void this.tick(), DIAL_TICK_MS)
    void this.tick()
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.lookup?.abort()
  }

  /** A successful connection clears the peer's backoff. */
  connected(peerId: string): void {
    this.backoff.delete(peerId)
  }

  private async tick(): Promise<void> {
    if (this.ticking) return
    this.ticking = true
    try {
      const connected = new Set(this.libp2p.getPeers().map((id) => id.toString()))
      const wanted = this.minConnections - connected.size - this.dialing.size
      if (wanted <= 0) return
      const candidates = await this.candidates(connected)
      for (const peerId of candidates.slice(0, Math.min(wanted, MAX_PARALLEL_DIALS))) void this.dial(peerId)
      if (candidates.length === 0 && Date.now() >= this.nextLookupAt) void this.lookupSelf()
    } catch (err) {
      this.log.debug({ err }, 'dial tick failed')
    } finally {
      this.ticking = false
    }
  }

  private async candidates(connected: Set<string>): Promise<PeerId[]> {
    const now = Date.now()
    const self = this.libp2p.peerId.toString()
    const peers = await this.libp2p.peerStore.all()
    const out: Array<{ id: PeerId; failures: number }> = []
    for (const peer of peers) {
      const id = peer.id.toString()
      if (id === self || connected.has(id) || this.dialing.has(id) || peer.addresses.length === 0) continue
      if (this.bans.isBanned(id)) continue
      const backoff = this.backoff.get(id)
      if (backoff != null && backoff.nextAt > now) continue
      out.push({ id: peer.id, failures: backoff?.failures ?? 0 })
    }
    // peers that answered before come first
    out.sort((a, b) => a.failures - b.failures)
    return out.map((c) => c.id)
  }

  private async dial(peerId: PeerId): Promise<void> {
    const id = peerId.toString()
    this.dialing.add(id)
    try {
      await this.libp2p.dial(peerId)
      this.backoff.delete(id)
    } catch (err) {
      const failures = (this.backoff.get(id)?.failures ?? 0) + 1
      const delay = Math.min(DIAL_BACKOFF_BASE_MS * 2 ** (failures - 1), DIAL_BACKOFF_MAX_MS)
      this.backoff.set(id, { failures, nextAt: Date.now() + delay })
      this.log.debug({ peer: id, failures, err: (err as Error).message }, 'dial failed')
    } finally {
      this.dialing.delete(id)
    }
  }

  private async lookupSelf(): Promise<void> {
    if (this.lookup != null || this.libp2p.getPeers().length === 0) return
    const controller = new AbortController()
    this.lookup = controller
    const before = (await this.libp2p.peerStore.all()).length
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)])
    try {
      const key = this.libp2p.peerId.toMultihash().bytes
      for await (const _peer of this.libp2p.peerRouting.getClosestPeers(key, { signal })) {
        // the query dials the peers it asks; reaching the end is all we need
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'self lookup failed')
    } finally {
      this.lookup = undefined
    }
    const found = (await this.libp2p.peerStore.all()).length - before
    // a lookup that finds nobody new is not worth repeating soon
    this.lookupInterval = found > 0 ? LOOKUP_INTERVAL_MIN_MS : Math.min(this.lookupInterval * 2, LOOKUP_INTERVAL_MAX_MS)
    this.nextLookupAt = Date.now() + this.lookupInterval
    this.log.debug({ found, next: this.lookupInterval }, 'self lookup done')
  }
}
