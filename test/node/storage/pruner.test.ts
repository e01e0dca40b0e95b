// The background pruner (storage/pruner.ts) over a real server and chain in a memory store whose
// batches are recorded: a backlog goes in bounded batches with pauses, down to keepBlocks; a run
// waits until enough is due, the node's first seconds are over and it is not syncing; stop()
// waits for the batch being written and starts no other; a failed batch is retried only after a
// while.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type BatchOp, MemoryStore, Server, encodeBlock, encodeCommit, encodeServerInput, encodeString, equals, firstKeptKey, proposerIndex } from '../../../packages/core/src/index.ts'
import { silentLogger } from '../../../packages/node/src/logger.ts'
import { PRUNE_RETRY_MS, PRUNE_SLACK_BLOCKS, PRUNE_START_DELAY_MS, Pruner } from '../../../packages/node/src/storage/pruner.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()

/** A memory store that records the batches that prune (they carry the first-kept mark). */
class RecordingStore extends MemoryStore {
  readonly prunes: Array<{ ops: number; at: number }> = []
  fail = false
  override async batch(ops: BatchOp[], options?: { sync?: boolean }): Promise<void> {
    const pruning = ops.some((op) => op.type === 'put' && equals(op.key, firstKeptKey(chain.entity)))
    if (pruning && this.fail) throw new Error('disk full')
    await super.batch(ops, options)
    if (pruning) this.prunes.push({ ops: ops.length, at: performance.now() })
  }
}

async function serverWith(blocks: number) {
  const store = new RecordingStore()
  const server = await Server.open({ id: seed('pruner test server'), store, entities: [chain.genesis], sync: false })
  const entity = server.entity(chain.entity)!
  const grow = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const h = entity.tip.height + 1
      const built = entity.propose(chain.genesis.time + 100 * h, proposerIndex(entity.tip.state.validators(), h, 0))
      server.receive(encodeServerInput([[chain.entity, [encodeString('block'), encodeBlock(built.block), encodeCommit(chain.commit(h, built.hash))]]]))
      await server.seal(h)
    }
  }
  await grow(blocks)
  return { store, entity, grow }
}

function pruner(entity: Awaited<ReturnType<typeof serverWith>>['entity'], clock: { now: number }, keepBlocks: number) {
  return new Pruner({ chain: entity.chainStore, keepBlocks, headHeight: () => entity.tip.height, logger: silentLogger(), now: () => clock.now, batchBlocks: 7, pauseMs: 5, startDelayMs: 0 })
}

test('a backlog is pruned in bounded batches, with pauses between them, down to keepBlocks', async () => {
  const { store, entity } = await serverWith(70)
  const p = pruner(entity, { now: 0 }, 10)
  p.poke()
  assert.ok(p.running)
  await p.idle()
  assert.is(entity.chainStore.firstKept, 61, 'heights 61..70 kept')
  assert.is(store.prunes.length, Math.ceil(60 / 7))
  // a batch: 7 heights of 3 deletes each (no transactions) and the mark, never the whole backlog
  for (const [i, b] of store.prunes.entries()) assert.ok(b.ops <= 7 * 3 + 1, `batch ${i}: ${b.ops} ops`)
  for (let i = 1; i < store.prunes.length; i++) assert.ok(store.prunes[i]!.at - store.prunes[i - 1]!.at >= 4, `pause before batch ${i}`)
  assert.ok(await entity.chainStore.loadBlockAt(61))
  assert.is(await entity.chainStore.loadBlockAt(60), undefined)
})

test(`a run starts only once ${PRUNE_SLACK_BLOCKS} heights are due; keepBlocks 0 never runs`, async () => {
  const { store, entity, grow } = await serverWith(10 + PRUNE_SLACK_BLOCKS - 1)
  const clock = { now: 0 }
  const p = pruner(entity, clock, 10)
  p.poke()
  assert.not.ok(p.running, `${PRUNE_SLACK_BLOCKS - 1} due`)
  await grow(1)
  p.poke()
  assert.ok(p.running, `${PRUNE_SLACK_BLOCKS} due`)
  await p.idle()
  assert.is(entity.chainStore.firstKept, PRUNE_SLACK_BLOCKS + 1)
  const all = pruner(entity, clock, 0)
  await grow(PRUNE_SLACK_BLOCKS)
  const before = store.prunes.length
  all.poke()
  assert.not.ok(all.running)
  assert.is(store.prunes.length, before)
})

test('no run in the first seconds after start, nor while the node syncs (a run stops between batches when it starts)', async () => {
  const { store, entity } = await serverWith(100)
  const clock = { now: 1_000_000 }
  let syncing = false
  const p = new Pruner({ chain: entity.chainStore, keepBlocks: 10, headHeight: () => entity.tip.height, logger: silentLogger(), now: () => clock.now, batchBlocks: 7, pauseMs: 5, busy: () => syncing })
  p.poke()
  assert.not.ok(p.running, 'just started')
  clock.now += PRUNE_START_DELAY_MS
  syncing = true
  p.poke()
  assert.not.ok(p.running, 'syncing')
  syncing = false
  p.poke()
  assert.ok(p.running)
  // the node falls behind mid-run: the run ends after the batch in hand
  await new Promise<void>((resolve) => {
    const check = () => (store.prunes.length >= 2 ? resolve() : setImmediate(check))
    check()
  })
  syncing = true
  await p.idle()
  const written = store.prunes.length
  assert.ok(written < Math.ceil(90 / 7), `${written} batches, not the whole backlog`)
  syncing = false
  p.poke()
  await p.idle()
  assert.is(entity.chainStore.firstKept, 91, 'the next block resumes it')
})

test('stop() waits for the batch being written and starts no other', async () => {
  const { store, entity } = await serverWith(70)
  const p = pruner(entity, { now: 0 }, 10)
  p.poke()
  await p.stop()
  assert.not.ok(p.running)
  const written = store.prunes.length
  assert.ok(written >= 1 && written < Math.ceil(60 / 7), `${written} batches before it stopped`)
  assert.is(entity.chainStore.firstKept, 1 + 7 * written)
  p.poke()
  assert.not.ok(p.running, 'a stopped pruner stays stopped')
})

test('a failed batch is retried only after a while', async () => {
  const { store, entity } = await serverWith(70)
  const clock = { now: 1_000_000 }
  const p = pruner(entity, clock, 10)
  store.fail = true
  p.poke()
  await p.idle()
  assert.is(entity.chainStore.firstKept, 1, 'nothing pruned')
  store.fail = false
  p.poke()
  assert.not.ok(p.running, 'not at once')
  clock.now += PRUNE_RETRY_MS
  p.poke()
  await p.idle()
  assert.is(entity.chainStore.firstKept, 61)
})

test.run()
