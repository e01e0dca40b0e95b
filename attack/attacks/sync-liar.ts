// sync-liar-empty, sync-liar-slow: serve /p2pnode/<net>/sync/1 with a lie. `status` claims the
// tip + 1000; `blocks` is answered with an empty list, at once or just before the requester's
// 10 s timeout (docs/protocol.md section 8). Connected to validators holding more than a third of
// the shares, a node that believes the claim and leaves consensus to sync stops the chain.

import { randomBytes } from 'node:crypto'
import { decodeSyncRequest, encodeStatus, rlpEncode } from '../wire.ts'
import type { Attack, AttackContext } from './context.ts'
import { TipWatch } from './tip.ts'

const CLAIM_AHEAD = 1_000
/** The requester gives up on `blocks` after 10 s; answer a little before. */
const SLOW_ANSWER_MS = 9_500

function syncLiar(slow: boolean): Attack {
  let tips: TipWatch
  const counts = { status: 0, blocks: 0, other: 0 }
  const describe = (ctx: AttackContext) =>
    ctx.describe(
      `status answered with tip+${CLAIM_AHEAD} ${counts.status}x, blocks answered with [] ${slow ? `after ${SLOW_ANSWER_MS / 1000} s` : 'at once'} ${counts.blocks}x` +
        (counts.other > 0 ? `, ${counts.other} other requests` : ''),
    )
  return {
    gossip: false,
    async setup(ctx) {
      tips = new TipWatch(ctx)
      const fakeHead = randomBytes(32)
      // registered before dialling, so identify announces the protocol from the start
      await ctx.host.serveSync(ctx.syncProtocol, async (body) => {
        const request = decodeSyncRequest(body)
        let reply: Uint8Array
        if (request.type === 'status') {
          counts.status++
          reply = encodeStatus((tips.tip?.height ?? 0) + CLAIM_AHEAD, fakeHead)
        } else {
          if (request.type === 'blocks') counts.blocks++
          else counts.other++
          if (slow) await ctx.sleep(SLOW_ANSWER_MS)
          reply = rlpEncode([])
        }
        ctx.sent(1, reply.length + 5)
        describe(ctx)
        return reply
      })
    },
    async run(ctx) {
      tips.start(1_000)
      describe(ctx)
      while (ctx.running()) await ctx.sleep(500)
    },
  }
}

export const syncLiarEmpty = syncLiar(false)
export const syncLiarSlow = syncLiar(true)
