// replay: real proposals and votes heard on gossip, published again and again, each time in a new
// envelope sequence (docs/protocol.md 7.1), so gossipsub takes every copy for a new message. The
// payloads are genuine and correctly signed: nothing here is invalid, only repeated.

import { decodeEnvelope, decodeVote, encodeEnvelope, proposalPosition, toHex } from '../wire.ts'
import { type Attack, mib, paced } from './context.ts'

const DEFAULT_RATE = 500
/** Copies published together per paced step. */
const BURST = 10
/** Messages of the newest height kept for replay, newest first. */
const MAX_HELD = 64

interface Held {
  kind: 'proposal' | 'vote'
  height: number
  message: Uint8Array
}

export const replay: Attack = {
  gossip: true,
  listen: ['proposal', 'vote'],
  async run(ctx) {
    const held = new Map<string, Held>()
    let newest = 0
    let heard = 0
    ctx.host.onMessage((topicName, data) => {
      heard++
      const kind = topicName === ctx.topics.proposal ? 'proposal' : topicName === ctx.topics.vote ? 'vote' : undefined
      if (!kind) return
      try {
        const { message } = decodeEnvelope(data)
        const height = kind === 'vote' ? decodeVote(message).height : proposalPosition(message).height
        if (height < newest) return
        if (height > newest) {
          newest = height
          held.clear()
        }
        held.set(toHex(message), { kind, height, message })
        if (held.size > MAX_HELD) held.delete(held.keys().next().value!)
      } catch {
        // not a well-formed message: nothing to replay
      }
    })
    const counts = { proposal: 0, vote: 0, proposalBytes: 0 }
    let sequence = 1_000_000 + Math.floor(Math.random() * 1_000_000)
    let cursor = 0
    await paced(ctx, (ctx.args.rate ?? DEFAULT_RATE) / BURST, async () => {
      const all = [...held.values()]
      if (all.length === 0) return
      await Promise.all(
        Array.from({ length: BURST }, async () => {
          const h = all[cursor++ % all.length]!
          const data = encodeEnvelope(h.message, sequence++)
          const reached = await ctx.host.publish(ctx.topics[h.kind], data)
          if (reached === 0) return
          counts[h.kind]++
          if (h.kind === 'proposal') counts.proposalBytes += data.length
          ctx.sent(1, data.length * reached)
        }),
      )
      ctx.describe(`${counts.proposal} proposal copies (${mib(counts.proposalBytes)}) and ${counts.vote} vote copies of the newest height heard (${heard} messages heard), each in a new envelope sequence`)
    })
  },
}
