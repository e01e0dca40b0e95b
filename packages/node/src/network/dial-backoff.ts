// How long the dialer leaves a peer alone after failed dials: the wait doubles from
// DIAL_BACKOFF_BASE_MS up to DIAL_BACKOFF_MAX_MS, so a dead address costs little. One exception:
// a node with no connection at all retries its bootstrap peers at least every
// BOOTSTRAP_RETRY_MAX_MS. They are its only way in, and nodes started together (a devnet, a
// data centre after a power cut) often come up before their bootstrap peer listens: with the
// doubled wait, a node whose first seven dials failed waited 64 s more after node0 was up.

export const DIAL_BACKOFF_BASE_MS = 1000
export const DIAL_BACKOFF_MAX_MS = 5 * 60_000
/** A node with no connection retries its bootstrap peers at least this often (a refused dial costs a SYN). */
export const BOOTSTRAP_RETRY_MAX_MS = 2_000
/**
 * Peers whose failures are remembered at most. The DHT can tell of any number of peers (ids are
 * free); past this the entries touched longest ago go, which only lets those be dialled sooner.
 */
export const MAX_BACKOFF_ENTRIES = 4_096

interface Entry {
  failures: number
  lastFailureAt: number
  nextAt: number
}

export class DialBackoff {
  private readonly entries = new Map<string, Entry>()
  private readonly bootstrap: ReadonlySet<string>

  /** `bootstrap`: the peer ids of the operator's bootstrap addresses. */
  constructor(bootstrap: Iterable<string> = []) {
    this.bootstrap = new Set(bootstrap)
  }

  /** Records a failed dial at `now`; returns the wait before the next one. */
  failed(peerId: string, now: number): number {
    const failures = (this.entries.get(peerId)?.failures ?? 0) + 1
    const wait = Math.min(DIAL_BACKOFF_BASE_MS * 2 ** (failures - 1), DIAL_BACKOFF_MAX_MS)
    // delete first, so that insertion order is the order of last touch (what eviction drops)
    this.entries.delete(peerId)
    this.entries.set(peerId, { failures, lastFailureAt: now, nextAt: now + wait })
    if (this.entries.size > MAX_BACKOFF_ENTRIES) this.entries.delete(this.entries.keys().next().value!)
    return wait
  }

  /** A connection to the peer (either way) clears its failures. */
  succeeded(peerId: string): void {
    this.entries.delete(peerId)
  }

  /**
   * When the peer may be dialled next (0: now). `isolated`: the node has no connection, so its
   * bootstrap peers wait at most BOOTSTRAP_RETRY_MAX_MS after their last failure.
   */
  readyAt(peerId: string, isolated: boolean): number {
    const entry = this.entries.get(peerId)
    if (entry === undefined) return 0
    if (isolated && this.bootstrap.has(peerId)) return Math.min(entry.nextAt, entry.lastFailureAt + BOOTSTRAP_RETRY_MAX_MS)
    return entry.nextAt
  }

  failures(peerId: string): number {
    return this.entries.get(peerId)?.failures ?? 0
  }

  get size(): number {
    return this.entries.size
  }
}
