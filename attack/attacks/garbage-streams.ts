// garbage-streams: random bytes on every stream protocol a node announces through identify
// (identify, ping, kad-dht, meshsub and floodsub, sync: whatever it lists), in three shapes: a
// burst of random bytes, a length prefix claiming 1 GiB followed by random bytes, and one byte.
// None of it is a valid message of any of those protocols (ping aside, which echoes anything).

import { randomBytes } from 'node:crypto'
import { type Attack, type AttackContext, mib, paced } from './context.ts'

const DEFAULT_STREAMS_PER_SECOND = 100
const BURST_BYTES = 16 * 1024
/** How long a stream is kept for the node to answer or hang up. */
const STREAM_MS = 1_000

function garbage(shape: number): Uint8Array {
  if (shape === 0) return randomBytes(BURST_BYTES)
  // a big-endian u32 and a varint, each claiming about 1 GiB, then noise
  if (shape === 1) return Buffer.concat([Buffer.from([0x40, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x04]), randomBytes(BURST_BYTES)])
  return randomBytes(1)
}

async function spray(ctx: AttackContext, peer: string, protocol: string, data: Uint8Array): Promise<boolean> {
  try {
    const stream = await ctx.host.open(peer, protocol, STREAM_MS)
    const timer = setTimeout(() => stream.abort(new Error('done')), STREAM_MS)
    await stream.sink([data]).catch(() => {})
    void (async () => {
      try {
        for await (const _ of stream.source) {
          // drain whatever the node says back until it hangs up or the timer fires
        }
      } catch {
        // reset: expected
      } finally {
        clearTimeout(timer)
      }
    })()
    return true
  } catch {
    return false
  }
}

export const garbageStreams: Attack = {
  gossip: false,
  async run(ctx) {
    // identify runs on connect; give it a moment to fill the protocol lists
    const protocols = new Map<string, string[]>()
    const deadline = Date.now() + 5_000
    while (ctx.running() && Date.now() < deadline) {
      for (const peer of ctx.host.connected()) protocols.set(peer, await ctx.host.protocolsOf(peer))
      if (protocols.size > 0 && [...protocols.values()].every((list) => list.length > 0)) break
      await ctx.sleep(100)
    }
    const plan = [...protocols].flatMap(([peer, list]) => list.map((protocol) => ({ peer, protocol })))
    const names = [...new Set(plan.map((p) => p.protocol))].sort()
    if (plan.length === 0) {
      ctx.describe('no protocol announced: nothing sent')
      return
    }
    let streams = 0
    let bytes = 0
    await paced(ctx, ctx.args.rate ?? DEFAULT_STREAMS_PER_SECOND, async (i) => {
      const { peer, protocol } = plan[i % plan.length]!
      if (!ctx.host.connected().includes(peer)) return
      const data = garbage(Math.floor(i / plan.length) % 3)
      if (!(await spray(ctx, peer, protocol, data))) return
      streams++
      bytes += data.length
      ctx.sent(1, data.length)
      ctx.describe(`${streams} streams of random bytes (${mib(bytes)}) on ${names.length} protocols: ${names.join(' ')}`)
    })
  },
}
