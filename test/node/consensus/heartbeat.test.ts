// The consensus loop's pacing (pacer.ts) over a real server machine: with nothing to put in a
// block it waits for the heartbeat before starting the next height, and it starts at once when a
// transaction arrives or a validator's verified message shows the next height has begun. A
// message nobody could verify wakes nothing: a peer without stake cannot make an idle network
// spend blocks.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { AccountSigner, TxKind, VoteStep, buildBlock, encodeBlock, encodeCounterAdd, encodeServerInput, encodeString, genesisState } from '../../../packages/core/src/index.ts'
import { waitFor } from '../../e2e/cluster.ts'
import { seed } from '../../fixtures/chain.ts'
import { type Harness, commitMessage, proposerOf, startLoop, voteMessage } from './harness.ts'

const PEER = 'peer-a'
/** Long enough that a test never sees it pass. */
const HEARTBEAT_MS = 60_000

const pacing = suite<{ h: Harness }>('heartbeat pacing')

pacing.before.each(async (ctx) => {
  ctx.h = await startLoop({ emptyBlockIntervalMs: HEARTBEAT_MS })
})

pacing.after.each((ctx) => {
  ctx.h.stop()
})

/** Decides height 1 with a quorum's certificate for an empty block, and waits for it to apply. */
async function decideFirst(h: Harness): Promise<void> {
  const tip = { height: 0, hash: h.chain.entity, time: h.chain.genesis.time, state: genesisState(h.chain.genesis).state }
  const executed = buildBlock({ tip, chain: { network: h.chain.network, entity: h.chain.entity }, time: tip.time + 1, proposer: proposerOf(h.chain, 1, 0), candidates: [] })
  assert.is(h.loop.receiveCommit(commitMessage(h.chain, 1, { hash: executed.hash, bytes: encodeBlock(executed.block) }, [0, 1, 2]), PEER), 'accept')
  await waitFor('height 1 applied and the loop idle', () => h.server.entity(h.chain.entity)!.tip.height === 1 && h.loop.idle, 5_000, 10)
}

pacing('with nothing to do, the next height waits for the heartbeat', async ({ h }) => {
  await decideFirst(h)
  assert.is(h.loop.height, 1, 'still at the decided height')
  assert.is(h.loop.step, 'decided')
})

pacing('a transaction admitted to the mempool starts the next height at once', async ({ h }) => {
  await decideFirst(h)
  const tx = h.chain.tx(new AccountSigner(seed('heartbeat-sender')), 0, TxKind.CounterAdd, encodeCounterAdd(1))
  const out = h.server.receive(encodeServerInput([[h.chain.entity, [encodeString('tx'), tx]]]))[0]
  assert.is(out?.type, 'tx.admitted')
  await waitFor('height 2 started', () => h.loop.height === 2, 5_000, 10)
  assert.not.ok(h.loop.idle)
})

pacing('a transaction that cannot go into the next block (a nonce gap) does not', async ({ h }) => {
  await decideFirst(h)
  const tx = h.chain.tx(new AccountSigner(seed('heartbeat-sender')), 3, TxKind.CounterAdd, encodeCounterAdd(1))
  assert.is(h.server.receive(encodeServerInput([[h.chain.entity, [encodeString('tx'), tx]]]))[0]?.type, 'tx.admitted')
  assert.ok(h.loop.idle, 'still waiting for the heartbeat')
  assert.is(h.loop.height, 1)
})

pacing('a validator\'s verified vote for the next height starts it; a forged one does not', async ({ h }) => {
  await decideFirst(h)
  const forged = voteMessage(h.chain, 2, { height: 2, round: 0, step: VoteStep.Prevote, blockHash: null })
  forged[forged.length - 5]! ^= 0xff
  assert.is(h.loop.receiveVote(forged, PEER), 'reject')
  assert.ok(h.loop.idle, 'a forged vote wakes nothing')
  assert.is(h.loop.receiveVote(voteMessage(h.chain, 2, { height: 2, round: 0, step: VoteStep.Prevote, blockHash: null }), PEER), 'accept')
  await waitFor('height 2 started', () => h.loop.height === 2, 5_000, 10)
})

pacing.run()
