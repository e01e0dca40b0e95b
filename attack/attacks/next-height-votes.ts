// next-height-votes: votes for the two heights after the one being decided (h+1, h+2), in the name
// of every validator, many rounds, both steps, random block hashes, all carrying a real G2
// signature lifted from a real vote. The signature parses, so checking it costs a full pairing,
// and it never verifies: every one of these votes is invalid.
//
// Timed so that they arrive as next-height messages: a burst as soon as a new height shows (the
// first real vote of it heard on gossip, or the tip in the nodes' sync status when gossip has gone
// quiet), then nothing until the next height. Sent at a steady rate instead, on a chain of several
// heights a second many would land on the height being decided and be judged there.

import { randomBytes } from 'node:crypto'
import { decodeEnvelope, decodeVote, encodeEnvelope, encodeVote } from '../wire.ts'
import { type Attack, paced } from './context.ts'
import { TipWatch } from './tip.ts'

/** Votes per height: at h+1 the node keeps up to 2,000 unverified (docs/protocol.md 7.4). */
const PER_HEIGHT = 500
const ROUNDS = 200
/** Fraction of each burst aimed at h+2 rather than h+1. */
const BEYOND_SHARE = 0.5
/** How often the attacker looks for a new height. */
const CHECKS_PER_SECOND = 100
/** Gossip counts as quiet when no vote was heard for this long; then the sync status leads. */
const QUIET_MS = 1_000

export const nextHeightVotes: Attack = {
  gossip: true,
  listen: ['vote'],
  async run(ctx) {
    let signature: Uint8Array | undefined
    let heard = { height: 0, at: 0 }
    ctx.host.onMessage((topicName, data) => {
      if (topicName !== ctx.topics.vote) return
      try {
        const vote = decodeVote(decodeEnvelope(data).message)
        signature ??= vote.signature
        if (vote.height >= heard.height) heard = { height: vote.height, at: Date.now() }
      } catch {
        // ignore what does not parse
      }
    })
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
    const perHeight = ctx.args.rate ?? PER_HEIGHT
    let burstFor = 0
    let sent = 0
    let heights = 0
    await paced(ctx, CHECKS_PER_SECOND, async () => {
      const fromGossip = Date.now() - heard.at < QUIET_MS ? heard.height : 0
      const deciding = Math.max(fromGossip, tips.tip!.height + 1)
      if (deciding <= burstFor) return
      burstFor = deciding
      heights++
      await Promise.all(
        Array.from({ length: perHeight }, async (_, k) => {
          const vote = encodeVote({
            network: ctx.chain.network,
            entity: ctx.chain.entity,
            height: deciding + (k < perHeight * (1 - BEYOND_SHARE) ? 1 : 2),
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
        }),
      )
      ctx.describe(`${sent} votes in bursts of ${perHeight} at the start of each of ${heights} heights, for h+1 (${100 - BEYOND_SHARE * 100}%) and h+2, validators 0..${n - 1}, rounds 0..${ROUNDS - 1}, both steps, a lifted real signature`)
    })
  },
}
