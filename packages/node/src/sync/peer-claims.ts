// What the syncer knows of its peers: the height and range each one claims (from status answers
// and verified commits), the strikes against those that could not back a claim (and for how long
// their claims are ignored), and those that host no such entity. A claim costs nothing to make,
// so nothing here is proof: the syncer proves blocks before it acts on them (syncer.ts).

/** The first strike silences a peer's claims this long; each further strike doubles it. */
export const DISTRUST_BASE_MS = 5_000
export const DISTRUST_MAX_MS = 30 * 60_000
/** A peer that hosts no such entity (or speaks no such protocol) is asked for its status again after this. */
export const NOT_SERVING_RETRY_MS = 30_000

/**
 * What a strike is for, worst last: a request that failed or came too late (honest peers on slow
 * links have those too), an answer that takes back the peer's own claim (nothing, or too little,
 * from a height it said it has), and data that does not verify (forged certificates, a block off
 * the chain, bytes that do not decode).
 */
export type Offence = 'failed' | 'unbacked' | 'forged'

/**
 * Penalty points of a first strike of each kind; each further strike doubles them. 400 points ban
 * a peer (network/scoring.ts), so forged data bans at once, a claim taken back twice bans, and a
 * peer whose requests fail three times running is banned (100 + 200 + 400), all within a minute.
 */
export const STRIKE_POINTS: Record<Offence, number> = { failed: 100, unbacked: 200, forged: 400 }

/** What a peer said of itself: its height, and the lowest height it serves. */
export interface PeerRange {
  height: number
  servesFrom: number
  at: number
}

interface Strikes {
  count: number
  until: number
}

export class PeerClaims {
  private readonly ranges = new Map<string, PeerRange>()
  private readonly strikes = new Map<string, Strikes>()
  /** Peers that host no such entity (or speak no such protocol), by when to ask them again. */
  private readonly silent = new Map<string, number>()

  constructor(private readonly now: () => number) {}

  /**
   * A height learned elsewhere (a verified commit on gossip, a status answer with its range). A
   * peer's range only rises while it is connected (pruning never brings blocks back), so a status
   * that says less than the peer's own SYNC_PRUNED answer did is not believed: a peer cannot have
   * the node ask it, again and again, for heights it then refuses.
   */
  note(peerId: string, height: number, servesFrom?: number): void {
    const known = this.ranges.get(peerId)
    const range = Math.max(servesFrom ?? 1, known?.servesFrom ?? 1)
    if (!known || height >= known.height) this.ranges.set(peerId, { height, servesFrom: range, at: this.now() })
    else known.servesFrom = range
  }

  forget(peerId: string): void {
    this.ranges.delete(peerId)
    this.silent.delete(peerId)
  }

  range(peerId: string): PeerRange | undefined {
    return this.ranges.get(peerId)
  }

  /** The highest height a peer whose claims are believed reports (0 with none). */
  best(): number {
    let best = 0
    for (const [peerId, { height }] of this.ranges) if (!this.distrusted(peerId)) best = Math.max(best, height)
    return best
  }

  /** Whether to ask the peer for its status: believed, not heard for `freshMs`, and not known to host nothing of ours. */
  due(peerId: string, freshMs: number): boolean {
    const now = this.now()
    return !this.distrusted(peerId) && now - (this.ranges.get(peerId)?.at ?? 0) > freshMs && (this.silent.get(peerId) ?? 0) <= now
  }

  /** The peer hosts no such entity (or speaks no such protocol): ask again after NOT_SERVING_RETRY_MS. */
  notServing(peerId: string): void {
    this.silent.set(peerId, this.now() + NOT_SERVING_RETRY_MS)
  }

  strikesOf(peerId: string): number {
    return this.strikes.get(peerId)?.count ?? 0
  }

  distrusted(peerId: string): boolean {
    const s = this.strikes.get(peerId)
    return s !== undefined && s.until > this.now()
  }

  /** Believed peers that claim `height` or more. */
  peersAt(height: number): string[] {
    return [...this.ranges.entries()].filter(([id, h]) => h.height >= height && !this.distrusted(id)).map(([id]) => id)
  }

  /** Believed peers that serve `height`: they have it and did not prune it. */
  servingPeers(height: number): string[] {
    return this.peersAt(height).filter((id) => this.ranges.get(id)!.servesFrom <= height)
  }

  /**
   * A peer answered SYNC_PRUNED for `from`: it pruned since its status said otherwise. That is
   * no lie (pruning runs all the time): its range is corrected, and its status asked again soon.
   * Returns whether the peer was known.
   */
  pruned(peerId: string, from: number): boolean {
    const known = this.ranges.get(peerId)
    if (!known) return false
    known.servesFrom = Math.min(known.height, Math.max(known.servesFrom, from + 1))
    known.at = 0
    return true
  }

  /**
   * A claim the peer could not back: it costs a penalty (STRIKE_POINTS, doubled for every strike
   * before), the claim is forgotten, and the peer's claims are ignored for DISTRUST_BASE_MS,
   * doubled likewise (up to a ceiling). Returns what the caller charges and logs.
   */
  strike(peerId: string, offence: Offence): { count: number; points: number; distrustMs: number } {
    const now = this.now()
    const before = this.strikes.get(peerId)
    // a peer that behaved for a long while starts again from one strike
    const count = before && now - before.until < DISTRUST_MAX_MS ? before.count + 1 : 1
    const distrustMs = Math.min(DISTRUST_MAX_MS, DISTRUST_BASE_MS * 2 ** (count - 1))
    this.strikes.set(peerId, { count, until: now + distrustMs })
    this.forget(peerId)
    return { count, points: STRIKE_POINTS[offence] * 2 ** Math.min(count - 1, 8), distrustMs }
  }
}
