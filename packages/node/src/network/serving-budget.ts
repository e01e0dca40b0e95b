// How much a node serves at once, and how often one peer may ask (review M-2). A response (a
// block window: up to 8 MiB and one block) is built whole and held until the peer has read it,
// so a peer that asks and never reads pins memory. The budget bounds that four ways: requests
// served at once (all peers), of those per peer, the bytes of responses being written (all
// peers), and a per-peer request rate (token bucket). A request over budget is answered
// NETWORK_BUSY at once, without running the handler.

/** Requests served at once, all peers together. */
export const DEFAULT_MAX_SERVING = 8
/**
 * Requests served at once for one peer: a syncing p2pnode asks for up to 4 block windows at once
 * (sync/syncer.ts MAX_IN_FLIGHT) plus a status now and then.
 */
export const DEFAULT_MAX_SERVING_PER_PEER = 6
/** Bytes of responses built and not yet written, all peers: six 8 MiB windows. */
export const DEFAULT_MAX_SERVING_BYTES = 48 * 1024 * 1024
/**
 * Requests per second one peer may make, on average. A syncing peer makes a few per second
 * (windows of 20 blocks, 4 at once); small blocks on a fast link make it a few dozen.
 */
export const DEFAULT_REQUESTS_PER_SECOND = 50
/** Requests one peer may make at once after being quiet (the bucket's size). */
export const DEFAULT_REQUEST_BURST = 100
/** Peers tracked before idle ones (a full bucket, nothing in flight) are dropped. */
export const MAX_TRACKED_PEERS = 1024
/** `onAbuse` is called at most this often for one peer. */
export const ABUSE_REPORT_INTERVAL_MS = 1000

export interface ServingLimits {
  maxServing: number
  maxServingPerPeer: number
  maxServingBytes: number
  requestsPerSecond: number
  requestBurst: number
}

export const DEFAULT_SERVING_LIMITS: ServingLimits = {
  maxServing: DEFAULT_MAX_SERVING,
  maxServingPerPeer: DEFAULT_MAX_SERVING_PER_PEER,
  maxServingBytes: DEFAULT_MAX_SERVING_BYTES,
  requestsPerSecond: DEFAULT_REQUESTS_PER_SECOND,
  requestBurst: DEFAULT_REQUEST_BURST,
}

/**
 * Why a request was refused: too fast, too many of the peer's at once, too many in all, or the
 * responses held already fill the byte budget.
 */
export type Refusal = 'rate' | 'peer' | 'global' | 'bytes'

export interface ServingUsage {
  /** Requests being served (all peers). */
  serving: number
  /** Bytes of responses built and not yet written. */
  bytes: number
  /** Peers tracked (rate buckets). */
  peers: number
}

interface PeerState {
  tokens: number
  at: number
  serving: number
  reportedAt: number
}

export class ServingBudget {
  private readonly limits: ServingLimits
  private readonly now: () => number
  private readonly peers = new Map<string, PeerState>()
  private serving = 0
  private bytes = 0

  constructor(limits: ServingLimits = DEFAULT_SERVING_LIMITS, now: () => number = Date.now) {
    this.limits = limits
    this.now = now
  }

  /**
   * Takes a slot for a request from `peerId`, or says why not. A refused request still costs
   * the peer a token: a peer that keeps asking while refused falls into debt (down to minus one
   * burst) and stays refused until it slows down. On a slot, call `release` when done.
   */
  admit(peerId: string): { refused?: Refusal; abusive: boolean } {
    const peer = this.peer(peerId)
    const refused = this.check(peer)
    const { requestBurst } = this.limits
    peer.tokens = Math.max(peer.tokens - 1, -requestBurst)
    if (refused == null) {
      peer.serving++
      this.serving++
      return { abusive: false }
    }
    // A whole burst of requests past the allowance while refused: no honest peer asks like that
    // (a NETWORK_BUSY answer tells it to back off), so it is reported, once a second at most.
    const now = this.now()
    const abusive = peer.tokens <= -requestBurst && now - peer.reportedAt >= ABUSE_REPORT_INTERVAL_MS
    if (abusive) peer.reportedAt = now
    return { refused, abusive }
  }

  release(peerId: string): void {
    const peer = this.peers.get(peerId)
    if (peer != null && peer.serving > 0) peer.serving--
    if (this.serving > 0) this.serving--
  }

  /** Reserves room for a response of `size` bytes; false when it would pass the byte budget. */
  reserveBytes(size: number): boolean {
    if (this.bytes + size > this.limits.maxServingBytes) return false
    this.bytes += size
    return true
  }

  releaseBytes(size: number): void {
    this.bytes = Math.max(0, this.bytes - size)
  }

  /** What is held now (for tests and metrics). */
  usage(): ServingUsage {
    return { serving: this.serving, bytes: this.bytes, peers: this.peers.size }
  }

  private check(peer: PeerState): Refusal | undefined {
    if (peer.tokens < 1) return 'rate'
    if (peer.serving >= this.limits.maxServingPerPeer) return 'peer'
    if (this.serving >= this.limits.maxServing) return 'global'
    // full already: do not build a response only to drop it
    if (this.bytes >= this.limits.maxServingBytes) return 'bytes'
    return undefined
  }

  /** The peer's state with its bucket refilled to now. */
  private peer(peerId: string): PeerState {
    const now = this.now()
    let peer = this.peers.get(peerId)
    if (peer == null) {
      if (this.peers.size >= MAX_TRACKED_PEERS) this.dropIdle(now)
      peer = { tokens: this.limits.requestBurst, at: now, serving: 0, reportedAt: -Infinity }
      this.peers.set(peerId, peer)
      return peer
    }
    const { requestsPerSecond, requestBurst } = this.limits
    peer.tokens = Math.min(requestBurst, peer.tokens + ((now - peer.at) / 1000) * requestsPerSecond)
    peer.at = now
    return peer
  }

  /** Forgets peers that would look new anyway: bucket full again, nothing in flight. */
  private dropIdle(now: number): void {
    const { requestsPerSecond, requestBurst } = this.limits
    for (const [id, peer] of this.peers) {
      const tokens = peer.tokens + ((now - peer.at) / 1000) * requestsPerSecond
      if (peer.serving === 0 && tokens >= requestBurst) this.peers.delete(id)
    }
  }
}
