// Catching up: a node more than `threshold` heights behind its best peer leaves consensus and
// fetches blocks in windows, several windows in flight from different peers, applying them in
// height order through the server machine (commit checked first, then the block). A peer whose
// blocks do not verify is penalized and asked no more; its window goes to another peer.

import { type EntityMachine, type Server, encodeServerInput, encodeString } from '@p2pnode/core'
import type { Logger } from 'pino'
import { MAX_BLOCKS_PER_RESPONSE, type SyncedBlock, decodeBlocks, decodeStatus, encodeSyncRequest } from './protocol.ts'

export interface SyncNetwork {
  peers(): Array<{ peerId: string }>
  request(peerId: string, protocol: string, data: Uint8Array, options: { timeoutMs: number; maxResponseBytes: number }): Promise<Uint8Array>
  penalize(peerId: string, reason: string): void
}

export interface SyncerInit {
  protocol: string
  network: SyncNetwork
  server: Server
  entity: EntityMachine
  threshold: number
  logger: Logger
  now: () => number
  /** Blocks applied, reported once they are on disk. */
  onApplied?: (height: number, txHashes: Uint8Array[]) => void
}

export const WINDOW = 20
export const MAX_IN_FLIGHT = 4
export const STATUS_TIMEOUT_MS = 2_000
export const BLOCKS_TIMEOUT_MS = 10_000
/** A peer's reported height is trusted for this long before it is asked again. */
const STATUS_FRESH_MS = 2_000

export class Syncer {
  private readonly heights = new Map<string, { height: number; at: number }>()
  private readonly bad = new Set<string>()
  private catching: Promise<number> | undefined

  constructor(private readonly init: SyncerInit) {}

  get bestHeight(): number {
    let best = 0
    for (const { height } of this.heights.values()) best = Math.max(best, height)
    return best
  }

  get syncing(): boolean {
    return this.catching !== undefined
  }

  /** A height learned elsewhere (a commit on gossip, a status answer). */
  noteHeight(peerId: string, height: number): void {
    const known = this.heights.get(peerId)
    if (!known || height >= known.height) this.heights.set(peerId, { height, at: this.init.now() })
  }

  forget(peerId: string): void {
    this.heights.delete(peerId)
  }

  /** Asks connected peers whose height is stale for their status, in parallel. */
  async refresh(): Promise<void> {
    const now = this.init.now()
    const stale = this.init.network.peers().filter((p) => !this.bad.has(p.peerId) && now - (this.heights.get(p.peerId)?.at ?? 0) > STATUS_FRESH_MS)
    await Promise.all(
      stale.map(async ({ peerId }) => {
        try {
          const answer = await this.init.network.request(peerId, this.init.protocol, encodeSyncRequest({ type: 'status' }), { timeoutMs: STATUS_TIMEOUT_MS, maxResponseBytes: 128 })
          this.noteHeight(peerId, decodeStatus(answer).height)
        } catch {
          // not every peer speaks sync (a plain libp2p peer, one of another network): skip it
        }
      }),
    )
  }

  behind(): boolean {
    return this.bestHeight - this.init.entity.tip.height > this.init.threshold
  }

  /** Fetches and applies blocks until the tip reaches the best known height. Returns blocks applied. */
  catchUp(): Promise<number> {
    this.catching ??= this.run().finally(() => (this.catching = undefined))
    return this.catching
  }

  private peersAt(height: number): string[] {
    return [...this.heights.entries()].filter(([id, h]) => h.height >= height && !this.bad.has(id)).map(([id]) => id)
  }

  private fetch(from: number, count: number, exclude: Set<string>): Promise<{ peerId: string; blocks: SyncedBlock[] }> {
    const candidates = this.peersAt(from).filter((p) => !exclude.has(p))
    if (candidates.length === 0) return Promise.reject(new Error(`no peer has height ${from}`))
    const peerId = candidates[(from / WINDOW) % candidates.length | 0]!
    const request = encodeSyncRequest({ type: 'blocks', from, count })
    return this.init.network
      .request(peerId, this.init.protocol, request, { timeoutMs: BLOCKS_TIMEOUT_MS, maxResponseBytes: 16 * 1024 * 1024 })
      .then((bytes) => ({ peerId, blocks: decodeBlocks(bytes) }))
      .catch((err: Error) => {
        exclude.add(peerId)
        // it claimed the height and could not serve it: stop believing it, and make it cost
        this.forget(peerId)
        this.init.network.penalize(peerId, `sync request failed: ${err.message}`)
        this.init.logger.debug({ peerId, from, err: err.message }, 'sync request failed, trying another peer')
        return this.fetch(from, count, exclude)
      })
  }

  private async run(): Promise<number> {
    const { entity, server, logger } = this.init
    let applied = 0
    // windows requested, by first height; always consecutive from the tip, so the one to apply
    // next is the one keyed tip + 1
    const inFlight = new Map<number, { count: number; result: Promise<{ peerId: string; blocks: SyncedBlock[] }> }>()
    let next = entity.tip.height + 1
    const restart = () => {
      inFlight.clear()
      next = entity.tip.height + 1
    }
    while (entity.tip.height < this.bestHeight) {
      const target = this.bestHeight
      while (inFlight.size < MAX_IN_FLIGHT && next <= target) {
        const count = Math.min(WINDOW, MAX_BLOCKS_PER_RESPONSE, target - next + 1)
        const result = this.fetch(next, count, new Set())
        result.catch(() => {}) // handled when awaited, in order
        inFlight.set(next, { count, result })
        next += count
      }
      const window = inFlight.get(entity.tip.height + 1)
      if (!window) {
        restart()
        continue
      }
      inFlight.delete(entity.tip.height + 1)
      let result: { peerId: string; blocks: SyncedBlock[] }
      try {
        result = await window.result
      } catch (err) {
        logger.warn({ from: entity.tip.height + 1, err: (err as Error).message }, 'no peer could serve blocks; sync pauses')
        break
      }
      let rejected = false
      const appliedNow: Array<{ height: number; txHashes: Uint8Array[] }> = []
      for (const { block, commit } of result.blocks) {
        const out = server.receive(encodeServerInput([[entity.id, [encodeString('block'), block, commit]]]))[0]
        if (out?.type !== 'block.committed') {
          const code = out && 'code' in out ? out.code : 'unknown'
          logger.warn({ peerId: result.peerId, height: entity.tip.height + 1, code }, 'peer sent a block that does not verify')
          this.bad.add(result.peerId)
          this.init.network.penalize(result.peerId, `sync block rejected: ${code}`)
          this.forget(result.peerId)
          rejected = true
          break
        }
        applied++
        appliedNow.push({ height: out.height, txHashes: out.txHashes })
      }
      await server.flush(this.init.now())
      for (const a of appliedNow) this.init.onApplied?.(a.height, a.txHashes)
      if (rejected || result.blocks.length < window.count) {
        if (result.blocks.length === 0) this.forget(result.peerId) // it claimed a height it cannot serve
        restart()
      }
      if (this.peersAt(entity.tip.height + 1).length === 0 && entity.tip.height < this.bestHeight) break
    }
    return applied
  }
}
