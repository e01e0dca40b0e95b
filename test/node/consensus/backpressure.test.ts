// A validator's own vote and its decided blocks are never refused for load (review M-1): the
// server's open frame is filled by others' inputs (peers' transactions, API batches) up to its
// limit, and the node must still record the vote it signs and go on. Before the fix the vote
// record got SERVER_BUSY, the drain threw, and the process died of an unhandled rejection.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Server, encodeRlp } from '../../../packages/core/src/index.ts'
import { waitFor } from '../../e2e/cluster.ts'
import { proposerOf, startLoop } from './harness.ts'
import { makeChain } from '../../fixtures/chain.ts'

const MIB = 1024 * 1024

/** Inputs that are logged (they are well-formed RLP the server refuses) and fill `bytes` of the open frame. */
function fill(server: Server, bytes: number): void {
  for (let filled = 0; filled < bytes; filled += MIB) {
    const out = server.receive(encodeRlp([[], new Uint8Array(MIB - 16).fill(7)]))
    if (out[0]?.type === 'input.rejected' && out[0].code === 'SERVER_BUSY') return
  }
}

for (const [what, bytes] of [
  ['full to the limit of others', 40 * MIB],
  ['full past the reserve too', 60 * MIB],
] as const) {
  test(`the open frame ${what}: the proposer still records and sends its own vote`, async () => {
    const failures: unknown[] = []
    const onRejection = (err: unknown) => failures.push(err)
    process.on('unhandledRejection', onRejection)
    // the proposer of height 1 builds, proposes and prevotes as soon as the loop starts
    const proposer = proposerOf(makeChain(), 1, 0)
    let refusedOthers = false
    const h = await startLoop({
      validator: proposer,
      beforeStart: (server) => {
        fill(server, bytes)
        const out = server.receive(encodeRlp([[], new Uint8Array(1024)]))[0]
        refusedOthers = out?.type === 'input.rejected' && out.code === 'SERVER_BUSY'
      },
    })
    try {
      assert.ok(refusedOthers, 'the frame is full for everyone else')
      await waitFor('the own prevote sent', () => h.published.votes.length > 0, 10_000, 10)
      assert.equal(failures, [])
      assert.is(h.loop.step, 'prevote')
    } finally {
      h.stop()
      process.off('unhandledRejection', onRejection)
    }
  })
}

test.run()
