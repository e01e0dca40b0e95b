// Simulated time and a lossy network: a priority queue of timed events, and message delivery with
// random delays (hence reordering), drops, duplicates and partitions before the global
// stabilization time (GST); after GST every message arrives within a small bounded delay.

import type { Prng } from './prng.ts'

export interface Timed {
  time: number
  seq: number
  run: () => void
}

/** Binary min-heap on (time, seq): ties run in scheduling order, so runs are deterministic. */
export class EventQueue {
  private heap: Timed[] = []
  private seq = 0
  now = 0

  at(time: number, run: () => void): void {
    const item = { time, seq: this.seq++, run }
    const h = this.heap
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }

  after(delay: number, run: () => void): void {
    this.at(this.now + delay, run)
  }

  /** Runs the next event; false when none is left or the next is past `until`. */
  runNext(until: number): boolean {
    const h = this.heap
    if (h.length === 0 || h[0]!.time > until) return false
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && before(h[l]!, h[m]!)) m = l
        if (r < h.length && before(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    this.now = top.time
    top.run()
    return true
  }

  get size(): number {
    return this.heap.length
  }
}

function before(a: Timed, b: Timed): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}

export interface Partition {
  start: number
  end: number
  /** Group number of each node; nodes in different groups cannot talk. */
  group: number[]
}

export interface NetworkConfig {
  gst: number
  delayBefore: [number, number]
  delayAfter: [number, number]
  drop: number
  duplicate: number
  partitions: Partition[]
  /** Before GST, certificates for laggards are held back up to this long (an adversarial scheduler). */
  catchUpDelayMax: number
}

export class Network {
  sent = 0
  constructor(
    private readonly queue: EventQueue,
    private readonly rng: Prng,
    private readonly config: NetworkConfig,
    private readonly deliver: (from: number, to: number, bytes: Uint8Array) => void,
  ) {}

  send(from: number, to: number, bytes: Uint8Array, catchUp = false): void {
    this.sent++
    const now = this.queue.now
    const c = this.config
    if (now < c.gst) {
      for (const p of c.partitions) {
        if (now >= p.start && now < p.end && p.group[from] !== p.group[to]) return
      }
      if (this.rng.chance(c.drop)) return
      const copies = this.rng.chance(c.duplicate) ? 2 : 1
      for (let i = 0; i < copies; i++) {
        let delay = this.rng.int(c.delayBefore[0], c.delayBefore[1])
        if (catchUp) delay += this.rng.int(0, c.catchUpDelayMax)
        this.queue.after(delay, () => this.deliver(from, to, bytes))
      }
      return
    }
    const delay = this.rng.int(c.delayAfter[0], c.delayAfter[1])
    this.queue.after(delay, () => this.deliver(from, to, bytes))
  }
}
