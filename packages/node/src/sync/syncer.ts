// Catching up. Peers' heights come from the status request of the sync protocol, which costs a
// peer nothing to lie in, so a claim alone never takes the node out of consensus:
//
// 1. probe: while consensus runs, the first window above the tip is fetched from a peer that
//    claims to be more than `threshold` ahead, and only the prefix that carries verifiable quorum
//    certificates counts (evidence.ts). A peer that claims a height and then serves nothing, too
//    little, something that does not verify, or nothing in time, gets a strike: penalized, its
//    claim forgotten, and its claims ignored for a while that doubles with each strike.
// 2. catch up: with a proven prefix longer than `threshold` the node is behind for certain; the
//    caller stops consensus and catchUp() applies that prefix and fetches the rest in windows,
//    several in flight from different peers, applying them in height order through the server
//    machine (commit checked first, then the block), striking peers the same way.
//
// What peers claim, and the strikes against them, are kept in peer-claims.ts. Blocks are asked
// only of peers that serve them (pruned peers say from where); a SYNC_PRUNED answer is no lie.
// When every peer ahead pruned the heights the node needs, it says so (blockedBy(), the log).

import { type EntityMachine, type Server, ErrorCode, blockInput } from '@p2pnode/core'
import type { Logger } from 'pino'
import { NetworkErrorCode, isNetworkError } from '../network/errors.ts'
import { provenPrefix } from './evidence.ts'
import { type Offence, PeerClaims } from './peer-claims.ts'
import { MAX_BLOCKS_PER_RESPONSE, MAX_RESPONSE_MESSAGE, MAX_STATUS_BYTES, SYNC_PRUNED, SYNC_UNKNOWN_ENTITY, type SyncRequest, type SyncedBlock, decodeBlocks, decodeStatus, encodeSyncRequest } from './protocol.ts'

export interface SyncNetwork {
  peers(): Array<{ peerId: string }>
  request(peerId: string, protocol: string, data: Uint8Array, options: { timeoutMs: number; maxResponseBytes: number }): Promise<Uint8Array>
  penalize(peerId: string, reason: string, points: number): void
}

export interface SyncerInit {
  protocol: string
  /** How a request is put on `protocol` (default version 1's, for the root; protocol.ts). */
  encodeRequest?: (r: SyncRequest) => Uint8Array
  network: SyncNetwork
  server: Server
  entity: EntityMachine
  threshold: number
  logger: Logger
  now: () => number
  /** Blocks applied, reported once they are on disk. */
  onApplied?: (height: number, txHashes: Uint8Array[]) => void
  /** Deadlines of the three requests (defaults below; tests shorten them). */
  timeouts?: { statusMs: number; probeMs: number; blocksMs: number }
  /** A tip still for this long may be behind (default STALLED_AFTER_MS): see refresh(). */
  stalledAfterMs?: number
}

export const WINDOW = 20
export const MAX_IN_FLIGHT = 4
export const STATUS_TIMEOUT_MS = 2_000
export const BLOCKS_TIMEOUT_MS = 10_000
/** A probe runs beside consensus; a peer that cannot answer one window in this long is no help. */
export const PROBE_TIMEOUT_MS = 5_000
/** A peer's reported height is trusted for this long before it is asked again. */
const STATUS_FRESH_MS = 2_000
/**
 * While the tip keeps moving the node is at the network's head (consensus makes no progress a
 * height or more behind it), and verified commits from gossip tell peers' heights anyway: a
 * status request, a new stream per peer, is then made this rarely. Most of an idle node's CPU
 * went to these requests when they ran every 2 s (docs/BENCHMARKS.md, "Footprint").
 */
export const STATUS_FRESH_FOLLOWING_MS = 30_000
export const STALLED_AFTER_MS = 3_000
/** How long the local frame may stay full (SERVER_BUSY) before a sync gives up for now. */
const BUSY_RETRIES = 50

export type Probe =
  /** Nobody claims to be far enough ahead, or nobody could back the claim. */
  | { kind: 'level' }
  /** Proven blocks above the tip, no more than the threshold: consensus can take them as commits. */
  | { kind: 'near'; blocks: SyncedBlock[] }
  /** Proven blocks above the tip, more than the threshold: the node is behind for certain. */
  | { kind: 'behind'; peerId: string; from: number; blocks: SyncedBlock[] }

/** Why a node that is behind cannot sync: every peer ahead pruned the next height it needs. */
export interface SyncBlocked {
  code: 'SYNC_PEERS_PRUNED'
  /** The height the node needs next. */
  need: number
  /** The lowest height any peer ahead of it serves. */
  peersServeFrom: number
}

export class Syncer {
  /** What peers claimed, and what they are trusted with (peer-claims.ts). */
  private readonly claims: PeerClaims
  /** The tip's height when refresh() last saw it change, and when: a node just started has not moved. */
  private tipSeen = { height: -1, at: -Infinity }
  /** The last blocked state logged, so the log says it once per change, not every check. */
  private loggedBlocked = ''
  private catching: Promise<number> | undefined

  private readonly timeouts: { statusMs: number; probeMs: number; blocksMs: number }
  private readonly encode: (r: SyncRequest) => Uint8Array

  constructor(private readonly init: SyncerInit) {
    this.timeouts = init.timeouts ?? { statusMs: STATUS_TIMEOUT_MS, probeMs: PROBE_TIMEOUT_MS, blocksMs: BLOCKS_TIMEOUT_MS }
    this.encode = init.encodeRequest ?? encodeSyncRequest
    this.claims = new PeerClaims(init.now)
  }

  /** The highest height a peer whose claims are believed reports (0 with none). */
  get bestHeight(): number {
    return this.claims.best()
  }

  get syncing(): boolean {
    return this.catching !== undefined
  }

  /** A height learned elsewhere: a verified commit on gossip, a status answer with its range (PeerClaims.note). */
  noteHeight(peerId: string, height: number, servesFrom?: number): void {
    this.claims.note(peerId, height, servesFrom)
  }

  forget(peerId: string): void {
    this.claims.forget(peerId)
  }

  /** Strikes held against a peer now, for status and tests. */
  strikesOf(peerId: string): number {
    return this.claims.strikesOf(peerId)
  }

  /**
   * Asks connected peers whose height is stale for their status, in parallel: stale after
   * STATUS_FRESH_MS while this node's tip stands still, STATUS_FRESH_FOLLOWING_MS while it moves.
   */
  async refresh(): Promise<void> {
    const now = this.init.now()
    const tip = this.init.entity.tip.height
    if (tip !== this.tipSeen.height) this.tipSeen = { height: tip, at: this.tipSeen.height < 0 ? -Infinity : now }
    const moving = now - this.tipSeen.at < (this.init.stalledAfterMs ?? STALLED_AFTER_MS)
    const fresh = moving ? STATUS_FRESH_FOLLOWING_MS : STATUS_FRESH_MS
    const stale = this.init.network.peers().filter((p) => this.claims.due(p.peerId, fresh))
    await Promise.all(
      stale.map(async ({ peerId }) => {
        try {
          const answer = await this.init.network.request(peerId, this.init.protocol, this.encode({ type: 'status' }), { timeoutMs: this.timeouts.statusMs, maxResponseBytes: MAX_STATUS_BYTES })
          const status = decodeStatus(answer)
          this.noteHeight(peerId, status.height, status.servesFrom)
        } catch (err) {
          // not every peer speaks sync (a plain libp2p peer, one of another network): skip it;
          // one that does not host the entity (or speaks no sync/2) is asked again much later
          if (notServing(err)) this.claims.notServing(peerId)
        }
      }),
    )
  }

  /** Whether some believed peer claims to be more than `threshold` ahead (a claim, not proof). */
  behind(): boolean {
    return this.bestHeight - this.init.entity.tip.height > this.init.threshold
  }

  /**
   * Why the node cannot sync, when it is behind and every peer far enough ahead to sync from
   * pruned the next height it needs; undefined otherwise.
   */
  blockedBy(): SyncBlocked | undefined {
    const { entity, threshold } = this.init
    const need = entity.tip.height + 1
    const ahead = this.claims.peersAt(entity.tip.height + threshold + 1)
    if (ahead.length === 0 || ahead.some((peerId) => this.claims.range(peerId)!.servesFrom <= need)) return undefined
    return { code: 'SYNC_PEERS_PRUNED', need, peersServeFrom: Math.min(...ahead.map((peerId) => this.claims.range(peerId)!.servesFrom)) }
  }

  /** Logs the blocked state when it changes (a node stuck for hours says it once, not every second). */
  private reportBlocked(): void {
    const blocked = this.blockedBy()
    const key = blocked ? `${blocked.need}/${blocked.peersServeFrom}` : ''
    if (key === this.loggedBlocked) return
    this.loggedBlocked = key
    if (blocked) {
      this.init.logger.warn(
        { ...blocked, best: this.bestHeight },
        `cannot sync: every peer ahead pruned height ${blocked.need} (they serve from ${blocked.peersServeFrom}); connect a peer that keeps older blocks (storage.keepBlocks 0)`,
      )
    }
  }

  /**
   * Asks one peer that claims to be far ahead for the first window above the tip, beside
   * consensus, and says what its answer proves. Strikes the peer when it proves nothing.
   */
  async probe(): Promise<Probe> {
    const { entity, threshold } = this.init
    const from = entity.tip.height + 1
    this.reportBlocked()
    // those far enough ahead that serve the next height
    const claimers = this.claims.peersAt(entity.tip.height + threshold + 1).filter((p) => this.claims.range(p)!.servesFrom <= from)
    if (claimers.length === 0) return { kind: 'level' }
    // any of them, not always the highest: a liar claiming the most must not always be asked first
    const peerId = claimers[Math.floor(Math.random() * claimers.length)]!
    const claimed = this.claims.range(peerId)!.height
    const count = Math.min(WINDOW, MAX_BLOCKS_PER_RESPONSE, claimed - from + 1)
    let blocks: SyncedBlock[]
    try {
      blocks = await this.request(peerId, from, count, this.timeouts.probeMs)
    } catch (err) {
      // a peer too busy serving others, or one that pruned meanwhile, has not lied; ask it (or
      // another) next time
      if (pruned(err)) this.notePruned(peerId, from)
      else if (!busy(err)) this.strike(peerId, offenceOf(err), `probe failed: ${(err as Error).message}`)
      return { kind: 'level' }
    }
    // consensus may have moved the tip while the answer travelled
    const fresh = blocks.slice(Math.max(0, entity.tip.height + 1 - from))
    if (fresh.length === 0) {
      if (blocks.length === 0) this.strike(peerId, 'unbacked', `claimed height ${claimed} and served nothing from ${from}`)
      return { kind: 'level' }
    }
    const evidence = provenPrefix(fresh, entity.tip, entity.chain)
    if (evidence.verified === 0) {
      this.strike(peerId, 'forged', `claimed height ${claimed}; block ${evidence.stoppedAt?.height} does not verify: ${evidence.stoppedAt?.reason}`)
      return { kind: 'level' }
    }
    const proven = fresh.slice(0, evidence.verified)
    return proven.length > threshold ? { kind: 'behind', peerId, from: entity.tip.height + 1, blocks: proven } : { kind: 'near', blocks: proven }
  }

  /**
   * Applies `first` (proven blocks from tip + 1, from a probe) and fetches and applies blocks
   * until the tip reaches the best believed height. Returns the number of blocks applied.
   */
  catchUp(first: { peerId: string; from: number; blocks: SyncedBlock[] } = { peerId: '', from: 0, blocks: [] }): Promise<number> {
    this.catching ??= this.run(first).finally(() => (this.catching = undefined))
    return this.catching
  }

  /**
   * A peer answered SYNC_PRUNED for `from`: it pruned since its status said otherwise. That is
   * no lie (pruning runs all the time): its range is corrected, and its status asked again soon.
   */
  private notePruned(peerId: string, from: number): void {
    if (this.claims.pruned(peerId, from)) this.init.logger.debug({ peerId, from }, 'sync peer pruned the heights asked for; asking another')
  }

  /**
   * A claim the peer could not back: it costs a penalty (STRIKE_POINTS, doubled for every strike
   * before), the claim is forgotten, and the peer's claims are ignored for DISTRUST_BASE_MS,
   * doubled likewise (up to a ceiling).
   */
  private strike(peerId: string, offence: Offence, reason: string): void {
    const { count, points, distrustMs } = this.claims.strike(peerId, offence)
    this.init.network.penalize(peerId, `sync: ${reason}`, points)
    this.init.logger.info({ peerId, offence, strikes: count, points, distrustMs, reason }, 'sync peer could not back its height')
  }

  private async request(peerId: string, from: number, count: number, timeoutMs: number): Promise<SyncedBlock[]> {
    const bytes = await this.init.network.request(peerId, this.init.protocol, this.encode({ type: 'blocks', from, count }), { timeoutMs, maxResponseBytes: MAX_RESPONSE_MESSAGE })
    let blocks: SyncedBlock[]
    try {
      blocks = decodeBlocks(bytes)
    } catch (err) {
      throw new ForgedAnswer(`the answer does not decode: ${(err as Error).message}`)
    }
    if (blocks.length > count) throw new ForgedAnswer(`${blocks.length} blocks for a request of ${count}`)
    return blocks
  }

  /** One window from some peer that claims it, trying others when one fails; strikes the failures. */
  private fetch(from: number, count: number, exclude: Set<string>): Promise<{ peerId: string; blocks: SyncedBlock[] }> {
    const candidates = this.claims.servingPeers(from).filter((p) => !exclude.has(p))
    if (candidates.length === 0) return Promise.reject(new Error(`no peer serves height ${from}`))
    const peerId = candidates[(from / WINDOW) % candidates.length | 0]!
    const claimed = this.claims.range(peerId)!.height
    return this.request(peerId, from, count, this.timeouts.blocksMs)
      .then((blocks) => {
        // a server stops early only at its byte limit, which one block never reaches
        if (blocks.length === 0) throw new Unbacked(`claimed height ${claimed} and served nothing from ${from}`)
        return { peerId, blocks }
      })
      .catch((err: Error) => {
        exclude.add(peerId)
        if (pruned(err)) this.notePruned(peerId, from)
        else if (!busy(err)) this.strike(peerId, offenceOf(err), `sync request failed: ${err.message}`)
        return this.fetch(from, count, exclude)
      })
  }

  /** Applies one block through the server; waits out a full frame (our back-pressure, not the peer's fault). */
  private async apply(synced: SyncedBlock): Promise<{ ok: true; height: number; txHashes: Uint8Array[] } | { ok: false; code: string }> {
    const { server, entity } = this.init
    const input = blockInput(entity.id, synced.block, synced.commit)
    for (let attempt = 0; ; attempt++) {
      const out = server.receive(input)[0]
      if (out?.type === 'block.committed') return { ok: true, height: out.height, txHashes: out.txHashes }
      const code = out && 'code' in out ? out.code : 'unknown'
      if (code !== ErrorCode.ServerBusy || attempt >= BUSY_RETRIES) return { ok: false, code }
      await server.flush(this.init.now())
    }
  }

  private async run(first: { peerId: string; from: number; blocks: SyncedBlock[] }): Promise<number> {
    const { entity, server, logger } = this.init
    let applied = 0
    const applyWindow = async (peerId: string, blocks: SyncedBlock[]): Promise<boolean> => {
      const appliedNow: Array<{ height: number; txHashes: Uint8Array[] }> = []
      let ok = true
      for (const synced of blocks) {
        const out = await this.apply(synced)
        if (!out.ok) {
          ok = false
          if (out.code === ErrorCode.ServerBusy) {
            logger.warn({ height: entity.tip.height + 1 }, 'sync pauses: the local frame stays full')
          } else if (out.code.startsWith('SERVER_')) {
            // the server refused the input itself (the entity was left meanwhile): no peer's fault
            logger.warn({ height: entity.tip.height + 1, code: out.code }, 'sync stops: the server refused the block')
          } else {
            logger.warn({ peerId, height: entity.tip.height + 1, code: out.code }, 'peer sent a block that does not verify')
            this.strike(peerId, 'forged', `sync block rejected: ${out.code}`)
          }
          break
        }
        applied++
        appliedNow.push(out)
      }
      await server.flush(this.init.now())
      for (const a of appliedNow) this.init.onApplied?.(a.height, a.txHashes)
      return ok
    }
    // the proven blocks of the probe, less those consensus committed meanwhile
    const fresh = first.blocks.slice(Math.max(0, entity.tip.height + 1 - first.from))
    if (fresh.length > 0 && !(await applyWindow(first.peerId, fresh))) return applied
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
        this.reportBlocked()
        break
      }
      const ok = await applyWindow(result.peerId, result.blocks)
      if (!ok || result.blocks.length < window.count) restart()
      if (this.claims.servingPeers(entity.tip.height + 1).length === 0 && entity.tip.height < this.bestHeight) {
        this.reportBlocked()
        break
      }
    }
    return applied
  }
}

/** The peer refused for its own serving budget (network/serving-budget.ts): not a lie, no strike. */
function busy(err: unknown): boolean {
  return isNetworkError(err, NetworkErrorCode.Busy) || (isNetworkError(err, NetworkErrorCode.RemoteError) && err.data['remote'] === NetworkErrorCode.Busy)
}

/** The peer does not host the entity asked about (sync/2), or does not speak the protocol at all. */
function notServing(err: unknown): boolean {
  return (isNetworkError(err, NetworkErrorCode.RemoteError) && err.data['remote'] === SYNC_UNKNOWN_ENTITY) || (err as Error)?.name === 'UnsupportedProtocolError'
}

/** The peer pruned the heights asked for (protocol.ts): not a lie, no strike; ask another. */
function pruned(err: unknown): boolean {
  return isNetworkError(err, NetworkErrorCode.RemoteError) && err.data['remote'] === SYNC_PRUNED
}

/** An answer that breaks the protocol: bytes that do not decode, more blocks than asked for. */
class ForgedAnswer extends Error {
  override readonly name = 'ForgedAnswer'
}

/** An answer that takes back the peer's claim: nothing from a height it said it has. */
class Unbacked extends Error {
  override readonly name = 'Unbacked'
}

function offenceOf(err: unknown): Offence {
  if (err instanceof ForgedAnswer) return 'forged'
  if (err instanceof Unbacked) return 'unbacked'
  return 'failed'
}
