// Who the node refuses to talk to, and until when. A ban covers a peer id; the connection
// gater consults it for dials both ways. Penalty points (from `penalize`) live here too: they
// feed gossipsub's application score (P5) and halve every PENALTY_HALF_LIFE_MS.
//
// Bans outlive a restart through a BanStore (ban-file.ts: `<dataDir>/bans.json`); without one the
// list lives in memory only, as unit tests want. Penalties are never saved: they decay in
// minutes, and a restart is a fresh start for a peer that was not banned.

import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const PENALTY_HALF_LIFE_MS = 5 * 60_000
/**
 * Bans held at most. Peer ids are free, so an attacker who rotates keys could grow the list
 * (and bans.json) without end; past this the bans that expire first are dropped.
 */
export const MAX_BANS = 10_000
/** Peers with penalty points held at most; past this the smallest are dropped (to 90%). */
export const MAX_PENALTIES = 10_000
/** Points below this count as none (and the entry is dropped). */
const PENALTY_FLOOR = 0.01

export interface Ban {
  peerId: string
  /** Milliseconds since the epoch. */
  until: number
  reason: string
}

export interface BanOptions {
  /** Replace a running ban even with a shorter one (an operator's explicit duration). */
  replace?: boolean
}

/** Where a BanList keeps its bans between runs. Neither method throws. */
export interface BanStore {
  /** Every saved ban, expired ones included; none when there is nothing (usable) saved. */
  load(): Promise<Ban[]>
  /** Schedules saving this list; saves are serialized and may be coalesced. */
  save(bans: readonly Ban[]): void
  /** Resolves once every save scheduled so far is on disk (or has failed and been logged). */
  flush(): Promise<void>
}

interface Penalty {
  points: number
  at: number
}

export class BanList {
  private readonly bans = new Map<string, Ban>()
  private readonly penalties = new Map<string, Penalty>()
  private readonly now: () => number
  private readonly store: BanStore | undefined

  constructor(now: () => number = Date.now, store?: BanStore) {
    this.now = now
    this.store = store
  }

  /** Loads the saved bans, dropping expired ones; returns how many are in force. */
  async load(): Promise<number> {
    if (this.store == null) return 0
    const now = this.now()
    let expired = 0
    for (const ban of await this.store.load()) {
      if (ban.until <= now) {
        expired++
        continue
      }
      const existing = this.bans.get(ban.peerId)
      if (existing == null || existing.until < ban.until) this.bans.set(ban.peerId, { ...ban })
    }
    if (expired > 0) this.save()
    return this.bans.size
  }

  /**
   * Bans a peer for `durationMs` and returns the ban in force. A second offence never shortens
   * a running ban; `replace` (an operator's explicit duration) does, or lengthens it.
   */
  ban(peerId: string, durationMs: number, reason: string, options: BanOptions = {}): Ban {
    const until = this.now() + durationMs
    const existing = this.find(peerId)
    this.penalties.delete(peerId)
    if (existing != null && existing.until >= until && options.replace !== true) return existing
    const ban = { peerId, until, reason }
    this.bans.set(peerId, ban)
    if (this.bans.size > MAX_BANS) this.trimBans()
    this.save()
    return ban
  }

  /**
   * Drops expired bans and penalties decayed to nothing (saving if a ban went). The network
   * calls this on a timer, so neither map waits for a query to shrink.
   */
  prune(): void {
    this.list()
    const now = this.now()
    for (const [id, entry] of this.penalties) {
      if (decayed(entry, now) < PENALTY_FLOOR) this.penalties.delete(id)
    }
  }

  /** How many peers have penalty points (for tests and metrics). */
  penalized(): number {
    return this.penalties.size
  }

  /** The peer's ban in force, if any. */
  find(peerId: string): Ban | undefined {
    const ban = this.bans.get(peerId)
    if (ban == null) return undefined
    if (ban.until > this.now()) return ban
    this.bans.delete(peerId)
    this.save()
    return undefined
  }

  isBanned(peerId: string): boolean {
    return this.find(peerId) != null
  }

  /** Lifts a ban; false if the peer was not banned. */
  unban(peerId: string): boolean {
    if (this.find(peerId) == null) return false
    this.bans.delete(peerId)
    this.save()
    return true
  }

  list(): Ban[] {
    const now = this.now()
    let expired = 0
    for (const [id, ban] of this.bans) {
      if (ban.until > now) continue
      this.bans.delete(id)
      expired++
    }
    if (expired > 0) this.save()
    return [...this.bans.values()]
  }

  /** Resolves once every change so far is saved (at once without a store). Never throws. */
  async flush(): Promise<void> {
    await this.store?.flush()
  }

  /** Adds penalty points; returns the decayed total now. */
  addPenalty(peerId: string, points: number): number {
    const total = this.penalty(peerId) + points
    this.penalties.set(peerId, { points: total, at: this.now() })
    if (this.penalties.size > MAX_PENALTIES) this.trimPenalties()
    return total
  }

  /** The peer's penalty points, decayed to now (0 when none). */
  penalty(peerId: string): number {
    const entry = this.penalties.get(peerId)
    if (entry == null) return 0
    const points = decayed(entry, this.now())
    if (points < PENALTY_FLOOR) {
      this.penalties.delete(peerId)
      return 0
    }
    return points
  }

  /**
   * A libp2p connection gater that refuses banned peers in both directions, and dials to the
   * addresses `denyAddress` names (a public node's non-public IPs, see addresses.ts).
   */
  gater(denyAddress?: (addr: Multiaddr) => boolean): ConnectionGater {
    const denied = (peerId: PeerId): boolean => this.isBanned(peerId.toString())
    return {
      denyDialPeer: async (peerId: PeerId) => denied(peerId),
      denyDialMultiaddr: async (addr: Multiaddr) => {
        const id = addr.getPeerId()
        return (id != null && this.isBanned(id)) || denyAddress?.(addr) === true
      },
      denyInboundEncryptedConnection: async (peerId: PeerId, _conn: MultiaddrConnection) => denied(peerId),
      denyOutboundEncryptedConnection: async (peerId: PeerId, _conn: MultiaddrConnection) => denied(peerId),
    }
  }

  private save(): void {
    this.store?.save([...this.bans.values()])
  }

  /** Back to MAX_BANS: expired ones first, then the ones that expire soonest. */
  private trimBans(): void {
    const now = this.now()
    for (const [id, ban] of this.bans) if (ban.until <= now) this.bans.delete(id)
    // one over (a ban at the cap): a linear scan, not a sort
    while (this.bans.size > MAX_BANS) {
      let soonest: Ban | undefined
      for (const ban of this.bans.values()) if (soonest == null || ban.until < soonest.until) soonest = ban
      this.bans.delete(soonest!.peerId)
    }
  }

  /** Down to 90% of MAX_PENALTIES, smallest first (so this runs once per 1,000 new peers). */
  private trimPenalties(): void {
    const now = this.now()
    const smallest = [...this.penalties].map(([id, entry]) => ({ id, points: decayed(entry, now) })).sort((a, b) => a.points - b.points)
    for (const { id } of smallest.slice(0, this.penalties.size - Math.floor(MAX_PENALTIES * 0.9))) this.penalties.delete(id)
  }
}

function decayed(entry: Penalty, now: number): number {
  return entry.points * 0.5 ** ((now - entry.at) / PENALTY_HALF_LIFE_MS)
}
