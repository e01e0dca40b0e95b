// A token bucket per client address: `ratePerSecond` tokens a second, up to `burst` saved up.
// The map of buckets is capped; when it is full the least recently seen client is forgotten (it
// comes back with a full bucket, which costs little: the API listens on a private address).

export const MAX_RATE_LIMIT_CLIENTS = 10_000

interface Bucket {
  tokens: number
  at: number
}

export interface RateLimiterInit {
  ratePerSecond: number
  /** Requests a client may make at once after a quiet spell. Default: one second's worth. */
  burst?: number
  /** Milliseconds, monotonic. Default performance.now. */
  now?: () => number
  maxClients?: number
}

export class RateLimiter {
  private readonly rate: number
  private readonly burst: number
  private readonly now: () => number
  private readonly maxClients: number
  private readonly buckets = new Map<string, Bucket>()

  constructor(init: RateLimiterInit) {
    if (!(init.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive')
    this.rate = init.ratePerSecond
    this.burst = Math.max(1, init.burst ?? Math.ceil(init.ratePerSecond))
    this.now = init.now ?? (() => performance.now())
    this.maxClients = init.maxClients ?? MAX_RATE_LIMIT_CLIENTS
  }

  /** Takes a token for `client`: 0 when allowed, else the seconds until the next token. */
  take(client: string): number {
    const now = this.now()
    const bucket = this.buckets.get(client) ?? { tokens: this.burst, at: now }
    // Delete and set again, so the map's order is least recently seen first.
    this.buckets.delete(client)
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate)
    bucket.at = now
    this.buckets.set(client, bucket)
    if (this.buckets.size > this.maxClients) {
      const oldest = this.buckets.keys().next().value
      if (oldest !== undefined) this.buckets.delete(oldest)
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return (1 - bucket.tokens) / this.rate
  }

  get clients(): number {
    return this.buckets.size
  }
}
