// The background pruner of `storage.keepBlocks`: keeps the newest N blocks (and their commits)
// and deletes older ones in bounded batches, pausing between batches, so that pruning a long
// chain (a node given keepBlocks for the first time) never holds up consensus: each batch is one
// small LevelDB write between the node's own frame writes, never one giant batch. What pruning
// leaves alone, and why, is core's pruneBlocks: state, head, frames, mempool, voted blocks.

import { type ChainStore, pruneBlocks } from '@p2pnode/core'
import type { Logger } from 'pino'

// The fewest blocks a pruning node keeps lives beside the setting it bounds (config.ts), which
// `p2pnode status` reads without loading this module's LevelDB and BLS (test/cli/startup.test.ts).
export { MIN_KEEP_BLOCKS } from '../config.ts'
/** Heights deleted per batch: a few hundred small deletes, a few milliseconds of LevelDB work. */
export const PRUNE_BATCH_BLOCKS = 100
/**
 * Pause between batches, so frame writes and gossip are served between them: this long, or as
 * long as the batch took if that was longer, so pruning takes at most half the node's time.
 */
export const PRUNE_PAUSE_MS = 20
/**
 * No run in the first seconds after start: a restarted node first catches up with the network
 * (bench/prune.ts saw a node that pruned 5,400 blocks at once fall 8 blocks behind and sync).
 */
export const PRUNE_START_DELAY_MS = 10_000
/**
 * A run starts only once this many heights are due: pruning after every block would add a write
 * per block for one block's worth of deletes. The node so keeps keepBlocks to keepBlocks + this.
 */
export const PRUNE_SLACK_BLOCKS = 50
/** After a failed batch (a full disk, say) the pruner waits this long before it tries again. */
export const PRUNE_RETRY_MS = 60_000

export interface PrunerInit {
  chain: ChainStore
  /** Blocks kept, the newest; 0 keeps all (the pruner then never runs). */
  keepBlocks: number
  /** The height of the newest block on disk. */
  headHeight: () => number
  logger: Logger
  now: () => number
  /** While this says so (the node is syncing), no batch is written; the next block resumes. */
  busy?: () => boolean
  /** Tests shorten the pause, the batch or the start delay. */
  pauseMs?: number
  batchBlocks?: number
  startDelayMs?: number
  /** A batch was written; the chain now serves from `firstKept`. */
  onPruned?: (firstKept: number, pruned: number) => void
}

export class Pruner {
  private run: Promise<void> | undefined
  private stopped = false
  private failedAt = -Infinity
  private timer: NodeJS.Timeout | undefined
  private wake: (() => void) | undefined
  private readonly startsAt: number

  constructor(private readonly init: PrunerInit) {
    this.startsAt = init.now() + (init.startDelayMs ?? PRUNE_START_DELAY_MS)
  }

  /** The first height to keep now; heights below it are due. */
  private target(): number {
    return this.init.headHeight() - this.init.keepBlocks + 1
  }

  /** Whether a run is under way (tests and status). */
  get running(): boolean {
    return this.run !== undefined
  }

  /** Called after each block: starts a background run when enough heights are due. */
  poke(): void {
    if (this.init.keepBlocks === 0 || this.stopped || this.run || this.init.busy?.()) return
    const now = this.init.now()
    if (now < this.startsAt || now - this.failedAt < PRUNE_RETRY_MS) return
    if (this.target() - this.init.chain.firstKept < PRUNE_SLACK_BLOCKS) return
    this.run = this.prune().finally(() => (this.run = undefined))
  }

  /** Resolves when no run is under way (tests wait for a prune this way). */
  async idle(): Promise<void> {
    while (this.run) await this.run
  }

  /** Stops after the batch being written, which it waits for (the database closes after this). */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    this.wake?.()
    await this.idle()
  }

  private async prune(): Promise<void> {
    const { chain, logger } = this.init
    const batch = this.init.batchBlocks ?? PRUNE_BATCH_BLOCKS
    const from = chain.firstKept
    const started = this.init.now()
    try {
      while (!this.stopped && !this.init.busy?.() && chain.firstKept < this.target()) {
        const batchStarted = this.init.now()
        const { pruned, firstKept } = await pruneBlocks(chain, this.target(), batch)
        if (pruned === 0) break
        this.init.onPruned?.(firstKept, pruned)
        if (chain.firstKept < this.target()) await this.pause(this.init.now() - batchStarted)
      }
    } catch (err) {
      this.failedAt = this.init.now()
      logger.error({ err, firstKept: chain.firstKept }, `pruning old blocks failed; trying again in ${PRUNE_RETRY_MS / 1000} s`)
      return
    }
    if (chain.firstKept - from >= PRUNE_BATCH_BLOCKS) {
      logger.info({ pruned: chain.firstKept - from, servesFrom: chain.firstKept, ms: this.init.now() - started }, 'pruned old blocks')
    }
  }

  private pause(batchMs: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
      this.timer = setTimeout(resolve, Math.max(this.init.pauseMs ?? PRUNE_PAUSE_MS, batchMs))
    })
  }
}
