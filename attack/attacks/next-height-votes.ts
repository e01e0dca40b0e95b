// next-height-votes: votes for the two heights after the one being decided (h+1, h+2), in the name of
// every validator, many rounds, both steps, random block hashes, all carrying a real G2 signature
// lifted from a real vote. The signature parses, so checking it costs a full pairing, and it never
// verifies: every one of these votes is invalid.

import { randomBytes } from 'node:crypto'
import { decodeEnvelope, decodeVote, encodeEnvelope, encodeVote } from '../wire.ts'
import { type Attack, paced } from './context.ts'
import { TipWatch } from './tip.ts'

const DEFAULT_RATE = 2_000
const ROUNDS = 200
const HEIGHTS_AHEAD = [1, 2]

export const nextHeightVotes: Attack = {
  gossip: true,
  listen: ['vote'],
  async run(ctx) {
    let signature: Uint8Array | undefined
    ctx.host.onMessage((topicName, data) => {
      if (topicName !== ctx.topics.vote || signature) return
      try {
        signature = decodeVote(decodeEnvelope(data).message).signature
      } catch {
        // ignore what does not parse
      }
    })
    // the height being decided is the tip + 1, read from the nodes' sync status: what the
    // attacker hears on gossip dries up once it is scored down, and would go stale
    const tips = new TipWatch(ctx)
    const deadline = Date.now() + 15_000
    await tips.first(15_000)
    while (ctx.running() && !signature && Date.now() < deadline) await ctx.sleep(50)
    if (!signature || !tips.tip) {
      ctx.describe(`${signature ? 'no tip learned' : 'no vote heard'}: nothing sent`)
      return
    }
    tips.start(250)
    const n = ctx.args.validators
    let sent = 0
    await paced(ctx, ctx.args.rate ?? DEFAULT_RATE, async (i) => {
      const ahead = HEIGHTS_AHEAD[i % HEIGHTS_AHEAD.length]!
      const k = Math.floor(i / HEIGHTS_AHEAD.length)
      const vote = encodeVote({
        network: ctx.chain.network,
        entity: ctx.chain.entity,
        height: tips.tip!.height + 1 + ahead,
        round: Math.floor(k / (2 * n)) % ROUNDS,
        step: ((k % 2) + 1) as 1 | 2,
        blockHash: randomBytes(32),
        validator: Math.floor(k / 2) % n,
        signature: signature!,
      })
      const data = encodeEnvelope(vote, 0)
      const reached = await ctx.host.publish(ctx.topics.vote, data)
      if (reached === 0) return
      sent++
      ctx.sent(1, data.length * reached)
      ctx.describe(`${sent} votes for heights h+1 and h+2 (validators 0..${n - 1}, rounds 0..${ROUNDS - 1}, both steps) with a lifted real signature`)
    })
  },
}
