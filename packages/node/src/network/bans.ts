// Who the node refuses to talk to, and until when. A ban covers a peer id; the connection
// gater consults it for dials both ways. Penalty points (from `penalize`) live here too: they
// feed gossipsub's application score (P5) and halve every PENALTY_HALF_LIFE_MS.

import type { ConnectionGater, MultiaddrConnection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export const PENALTY_HALF_LIFE_MS = 5 * 60_000

export interface Ban {
  peerId: string
  until: number
  reason: string
}

interface Penalty {
  points: number
  at: number
}

export class BanList {
  private readonly bans = new Map<string, Ban>()
  private readonly penalties = new Map<string, Penalty>()
  private readonly now: () => number

  constructor(now: () => number = Date.now) {
    this.now = now
  }

  ban(peerId: string, durationMs: number, reason: string): Ban {
    const until = this.now() + durationMs
    const existing = this.bans.get(peerId)
    // a second offence never shortens a ban already running
    const ban = existing != null && existing.until > until ? existing : { peerId, until, reason }
    this.bans.set(peerId, ban)
    this.penalties.delete(peerId)
    return ban
  }

  isBanned(peerId: string): boolean {
    const ban = this.bans.get(peerId)
    if (ban == null) return false
    if (ban.until > this.now()) return true
    this.bans.delete(peerId)
    return false
  }

  unban(peerId: string): boolean {
    return this.bans.delete(peerId)
  }

  list(): Ban[] {
    const now = this.now()
    for (const [id, ban] of this.bans) if (ban.until <= now) this.bans.delete(id)
    return [...this.bans.values()]
  }

  /** Adds penalty points; returns the decayed total now. */
  addPenalty(peerId: string, points: number): number {
    const total = this.penalty(peerId) + points
    this.penalties.set(peerId, { points: total, at: this.now() })
    return total
  }

  /** The peer's penalty points, decayed to now (0 when none). */
  penalty(peerId: string): number {
    const entry = this.penalties.get(peerId)
    if (entry == null) return 0
    const points = entry.points * 0.5 ** ((this.now() - entry.at) / PENALTY_HALF_LIFE_MS)
    if (points < 0.01) {
      this.penalties.delete(peerId)
      return 0
    }
    return points
  }

  /** A libp2p connection gater that refuses banned peers in both directions. */
  gater(): ConnectionGater {
    const denied = (peerId: PeerId): boolean => this.isBanned(peerId.toString())
    return {
      denyDialPeer: async (peerId: PeerId) => denied(peerId),
      denyDialMultiaddr: async (addr: Multiaddr) => {
        const id = addr.getPeerId()
        return id != null && this.isBanned(id)
      },
      denyInboundEncryptedConnection: async (peerId: PeerId, _conn: MultiaddrConnection) => denied(peerId),
      denyOutboundEncryptedConnection: async (peerId: PeerId, _conn: MultiaddrConnection) => denied(peerId),
    }
  }
}
