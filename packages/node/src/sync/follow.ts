// Follow consensus or sync: the node's one mode switch. Every `intervalMs` it asks peers how far
// they are; when one claims to be more than the threshold ahead, it probes (syncer.ts) while
// consensus keeps running, and leaves consensus only when the probe proved, with quorum
// certificates, that the node is more than the threshold behind. A few proven blocks are handed
// to consensus as commits instead: the node is then at most a few heights behind, which consensus
// closes by itself. Each sync episode is logged once, with its cause.

import type { Logger } from 'pino'
import type { SyncedBlock } from './protocol.ts'
import type { Syncer } from './syncer.ts'

export interface FollowedConsensus {
  start(): Promise<void>
  stop(): void
  /** Blocks proven by their certificates, from the height being decided on: decide them. */
  takeCommitted(blocks: SyncedBlock[]): void
}

export interface SyncEpisode {
  syncing: boolean
  height: number
  target: number
}

export interface FollowOrSyncInit {
  syncer: Syncer
  consensus: FollowedConsensus
  tipHeight: () => number
  intervalMs: number
  logger: Logger
  /** A sync episode starts (syncing true) or ends (false). */
  onEpisode?: (episode: SyncEpisode) => void
}

export class FollowOrSync {
  private timer: NodeJS.Timeout | undefined
  private checking = false
  private stopping = false

  constructor(private readonly init: FollowOrSyncInit) {}

  start(): void {
    this.stopping = false
    this.timer = setInterval(() => {
      this.check().catch((err: Error) => this.init.logger.warn({ err: err.message }, 'sync check failed'))
    }, this.init.intervalMs)
  }

  stop(): void {
    this.stopping = true
    clearInterval(this.timer)
    this.timer = undefined
  }

  /** One check; overlapping calls do nothing (a sync episode can outlast many intervals). */
  async check(): Promise<void> {
    if (this.stopping || this.checking) return
    this.checking = true
    try {
      await this.followOrSync()
    } finally {
      this.checking = false
    }
  }

  private async followOrSync(): Promise<void> {
    const { syncer, consensus, logger } = this.init
    await syncer.refresh()
    if (!syncer.behind()) return
    const probe = await syncer.probe()
    if (this.stopping) return
    if (probe.kind === 'level') return
    if (probe.kind === 'near') {
      consensus.takeCommitted(probe.blocks)
      return
    }
    const start = { syncing: true, height: this.init.tipHeight(), target: syncer.bestHeight }
    consensus.stop()
    this.init.onEpisode?.(start)
    logger.info({ height: start.height, target: start.target, proven: probe.blocks.length, from: probe.peerId }, 'behind the network: syncing')
    try {
      await syncer.catchUp(probe)
    } finally {
      const end = { syncing: false, height: this.init.tipHeight(), target: syncer.bestHeight }
      this.init.onEpisode?.(end)
      logger.info({ height: end.height, applied: end.height - start.height }, 'sync done: following consensus')
      if (!this.stopping) await consensus.start()
    }
  }
}
