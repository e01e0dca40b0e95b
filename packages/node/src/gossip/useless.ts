// A budget of useless messages per peer. Gossip gives no penalty for an `ignore`, and most
// ignores are honest (a late vote, a transaction another path brought first), but a peer that
// keeps sending what it should know is useless (replays of messages held, heights far away, a
// flood of transactions with nonce gaps) spends this node's bandwidth and decoding for nothing.
// Each peer may do so at a steady rate with a burst (a token bucket, refilled with time); every
// time it empties its bucket it is penalized, which feeds its gossip score and, repeated, a ban.
// The numbers leave honest peers far inside: the resends of a stuck network, the busiest honest
// source of such messages, are a few dozen a second per peer.

export interface UselessBudgetInit {
  /** Useless messages a peer may send at once. */
  burst: number
  /** And per second, on and on. */
  perSecond: number
  now: () => number
  /** Called each time a peer empties its budget. */
  penalize: (peerId: string, reason: string) => void
}

export const DEFAULT_USELESS_BURST = 500
export const DEFAULT_USELESS_PER_SECOND = 100
/** Peers whose bucket is full again are forgotten, so the map holds only recent offenders. */
const SWEEP_EVERY = 1_024

interface Bucket {
  tokens: number
  at: number
}

export class UselessBudget {
  private readonly buckets = new Map<string, Bucket>()
  private calls = 0

  constructor(private readonly init: UselessBudgetInit) {}

  /** One useless message from `peerId`; returns whether it was within the peer's budget. */
  spend(peerId: string, what: string): boolean {
    const now = this.init.now()
    const bucket = this.refill(this.buckets.get(peerId) ?? { tokens: this.init.burst, at: now }, now)
    if (++this.calls % SWEEP_EVERY === 0) this.sweep(now)
    if (bucket.tokens >= 1) {
      bucket.tokens--
      this.buckets.set(peerId, bucket)
      return true
    }
    // empty: the peer pays, and gets a fresh burst's worth before it pays again
    bucket.tokens = this.init.burst
    this.buckets.set(peerId, bucket)
    this.init.penalize(peerId, `over ${this.init.burst} useless gossip messages (last: ${what})`)
    return false
  }

  forget(peerId: string): void {
    this.buckets.delete(peerId)
  }

  private refill(bucket: Bucket, now: number): Bucket {
    const tokens = Math.min(this.init.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.init.perSecond)
    return { tokens, at: now }
  }

  private sweep(now: number): void {
    for (const [peerId, bucket] of this.buckets) if (this.refill(bucket, now).tokens >= this.init.burst) this.buckets.delete(peerId)
  }
}
