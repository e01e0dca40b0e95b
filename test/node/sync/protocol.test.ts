// Serving sync from a pruned chain (sync/protocol.ts): the status says from which height the node
// serves (and stays the old two-field answer when it kept everything), and a blocks request from
// below it is refused with SYNC_PRUNED rather than answered with nothing, which the requester
// would have to count as a claim taken back.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MemoryStore, Server, encodeBlock, encodeCommit, encodeRlp, encodeServerInput, encodeString, encodeUint, proposerIndex, pruneBlocks } from '../../../packages/core/src/index.ts'
import { RequestRefused } from '../../../packages/node/src/network/errors.ts'
import { SYNC_PRUNED, decodeBlocks, decodeStatus, encodeSyncRequest, serveSync } from '../../../packages/node/src/sync/protocol.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()

async function chainOf(count: number) {
  const server = await Server.open({ id: seed('protocol test server'), store: new MemoryStore(), entities: [chain.genesis], sync: false })
  const entity = server.entity(chain.entity)!
  for (let h = 1; h <= count; h++) {
    const built = entity.propose(chain.genesis.time + 100 * h, proposerIndex(entity.tip.state.validators(), h, 0))
    server.receive(encodeServerInput([[chain.entity, [encodeString('block'), encodeBlock(built.block), encodeCommit(chain.commit(h, built.hash))]]]))
    await server.seal(h)
  }
  const tip = () => ({ height: entity.tip.height, headHash: entity.tip.hash })
  const serve = (request: Parameters<typeof encodeSyncRequest>[0]) => serveSync(encodeSyncRequest(request), entity.chainStore, tip)
  return { entity, serve }
}

test('a node that kept every block answers the status it always did', async () => {
  const { entity, serve } = await chainOf(5)
  const answer = await serve({ type: 'status' })
  assert.equal(answer, encodeRlp([encodeUint(5), entity.tip.hash]), 'two fields, as releases before pruning expect')
  assert.is(decodeStatus(answer).servesFrom, 1)
})

test('a pruned node says from which height it serves, and refuses older heights with SYNC_PRUNED', async () => {
  const { entity, serve } = await chainOf(40)
  await pruneBlocks(entity.chainStore, 31, 100)
  assert.equal(decodeStatus(await serve({ type: 'status' })), { height: 40, headHash: entity.tip.hash, servesFrom: 31 })
  for (const from of [0, 1, 30]) {
    const err = await serve({ type: 'blocks', from, count: 20 }).then(() => undefined, (e: unknown) => e)
    assert.instance(err, RequestRefused, `from ${from}`)
    assert.is((err as RequestRefused).code, SYNC_PRUNED, `from ${from}`)
  }
  const kept = decodeBlocks(await serve({ type: 'blocks', from: 31, count: 20 }))
  assert.is(kept.length, 10)
  // past the head is still an empty answer, as before
  assert.equal(decodeBlocks(await serve({ type: 'blocks', from: 41, count: 20 })), [])
})

test.run()
