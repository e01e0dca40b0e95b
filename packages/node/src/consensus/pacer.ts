// When the next height starts. With work to do (a transaction that can go into a block, or a
// peer that has started the height already) the next height starts blockIntervalMs after the
// last block was first seen; with none, only after emptyBlockIntervalMs: the heartbeat, after
// CometBFT's create_empty_blocks_interval. Work that arrives during the wait ends it at once
// (subject to blockIntervalMs), so a transaction reaching an idle network does not wait for the
// heartbeat. A node that starts a height wakes the others: its votes and proposal for that height
// are work for them.
//
// Safety does not depend on any of this: a height started late is what a slow node does anyway.

export interface PacerInit {
  blockIntervalMs: number
  /** 0, or anything not above blockIntervalMs: blocks follow each other with or without work. */
  emptyBlockIntervalMs: number
  now: () => number
  /** Whether the next block would carry something, or the next height has begun elsewhere. */
  hasWork: () => boolean
  /** Starts the next height; called once per decided(). */
  start: () => void
}

export class HeightPacer {
  private timer: NodeJS.Timeout | undefined
  private seenAt = 0
  /** The pause being waited, while one is: blockIntervalMs or emptyBlockIntervalMs. */
  private pause: number | undefined

  constructor(private readonly init: PacerInit) {}

  /** Waiting for the heartbeat: no work since the last block. */
  get idle(): boolean {
    return this.pause !== undefined && this.pause > this.init.blockIntervalMs
  }

  /** Between a decision and the start of the next height. */
  get waiting(): boolean {
    return this.pause !== undefined
  }

  /** A height was decided, its block first seen at `seenAt`: schedules the next one. */
  decided(seenAt: number): void {
    this.cancel()
    this.seenAt = seenAt
    const { blockIntervalMs, emptyBlockIntervalMs } = this.init
    this.arm(this.init.hasWork() ? blockIntervalMs : Math.max(blockIntervalMs, emptyBlockIntervalMs))
  }

  /** Something arrived that may be work: an idle wait ends as soon as the block interval allows. */
  wake(): void {
    if (!this.idle || !this.init.hasWork()) return
    this.arm(this.init.blockIntervalMs)
  }

  cancel(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pause = undefined
  }

  private arm(pause: number): void {
    clearTimeout(this.timer)
    this.pause = pause
    const wait = Math.max(0, this.seenAt + pause - this.init.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.pause = undefined
      this.init.start()
    }, wait)
  }
}
