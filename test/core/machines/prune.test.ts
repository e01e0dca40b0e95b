// Pruning old blocks (machines/prune.ts over storage/chain-store.ts): a real server commits a chain
// with transactions into a memory store, and pruning deletes exactly the old heights' block,
// commit, height index and tx index entries, in bounded runs, never the head, the state or a
// newer height, and leaves a mark that a reopened server reads back.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Bytes, toHex } from '../../../packages/core/src/bytes.ts'
import { encodeBlock, encodeCommit, txHash } from '../../../packages/core/src/codec/objects.ts'
import { encodeString } from '../../../packages/core/src/codec/rlp.ts'
import { proposerIndex } from '../../../packages/core/src/consensus/proposer.ts'
import { isCoreError } from '../../../packages/core/src/errors.ts'
import { encodeCounterAdd } from '../../../packages/core/src/machines/payloads.ts'
import { pruneBlocks } from '../../../packages/core/src/machines/prune.ts'
import { Server } from '../../../packages/core/src/machines/server.ts'
import { encodeServerInput } from '../../../packages/core/src/machines/server-input.ts'
import { MemoryStore } from '../../../packages/core/src/storage/memory.ts'
import { PREFIX_BLOCK, PREFIX_COMMIT, PREFIX_HEIGHT, PREFIX_TX_INDEX, blockKey, prefixRange } from '../../../packages/core/src/storage/schema.ts'
import { TxKind } from '../../../packages/core/src/types/chain.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()
const HEIGHTS = 30
const open = (store: MemoryStore) => Server.open({ id: seed('prune test server'), store, entities: [chain.genesis], sync: false })

/** Commits `count` blocks, a counter.add in every even one; returns the tx hashes by height. */
async function grow(server: Server, count: number): Promise<Map<number, Bytes[]>> {
  const entity = server.entity(chain.entity)!
  const validators = entity.tip.state.validators()
  const account = chain.validators[0]!.account
  const txs = new Map<number, Bytes[]>()
  for (let h = 1; h <= count; h++) {
    if (h % 2 === 0) {
      const tx = chain.tx(account, h / 2 - 1, TxKind.CounterAdd, encodeCounterAdd(1))
      server.receive(encodeServerInput([[chain.entity, [encodeString('tx'), tx]]]))
      txs.set(h, [txHash(tx)])
    }
    const built = entity.propose(chain.genesis.time + 100 * h, proposerIndex(validators, h, 0))
    assert.is(built.block.txs.length, h % 2 === 0 ? 1 : 0, `txs in block ${h}`)
    const out = server.receive(encodeServerInput([[chain.entity, [encodeString('block'), encodeBlock(built.block), encodeCommit(chain.commit(h, built.hash))]]]))
    assert.is(out[0]?.type, 'block.committed', `block ${h}: ${JSON.stringify(out[0])}`)
    await server.seal(h)
  }
  return txs
}

async function count(store: MemoryStore, prefix: number): Promise<number> {
  let n = 0
  for await (const _ of store.iterate(prefixRange(Uint8Array.of(prefix)))) n++
  return n
}

test('prunes the oldest heights in bounded runs: block, commit, height and tx index go; newer heights, state and head stay', async () => {
  const store = new MemoryStore()
  const server = await open(store)
  const txs = await grow(server, HEIGHTS)
  const entity = server.entity(chain.entity)!
  const store0 = entity.chainStore
  const root = toHex(entity.tip.state.root())
  const hashes = new Map<number, Bytes>()
  for (let h = 1; h <= HEIGHTS; h++) hashes.set(h, (await store0.loadBlockHash(h))!)

  assert.equal(await pruneBlocks(store0, 21, 8), { pruned: 8, firstKept: 9 }, 'at most maxBlocks in one run')
  assert.equal(await pruneBlocks(store0, 21, 8), { pruned: 8, firstKept: 17 })
  assert.equal(await pruneBlocks(store0, 21, 8), { pruned: 4, firstKept: 21 }, 'up to, not including, below')
  assert.equal(await pruneBlocks(store0, 21, 8), { pruned: 0, firstKept: 21 }, 'nothing more is due')
  for (let h = 1; h <= HEIGHTS; h++) {
    const kept = h >= 21
    assert.is((await store0.loadBlockAt(h)) !== undefined, kept, `block ${h}`)
    assert.is((await store0.loadBlock(hashes.get(h)!)) !== undefined, kept, `block ${h} by hash`)
    assert.is((await store0.loadCommit(h)) !== undefined, kept, `commit ${h}`)
    for (const tx of txs.get(h) ?? []) assert.is((await store0.loadTxLocation(tx)) !== undefined, kept, `tx index of block ${h}`)
  }
  // nothing of the pruned heights is left behind in any of their tables
  assert.is(await count(store, PREFIX_BLOCK), 10)
  assert.is(await count(store, PREFIX_HEIGHT), 10)
  assert.is(await count(store, PREFIX_COMMIT), 10)
  assert.is(await count(store, PREFIX_TX_INDEX), 5)
  assert.is(toHex(entity.tip.state.root()), root, 'the state is not touched')
  assert.is((await store0.loadHead())!.height, HEIGHTS)
})

test('never past the head, whatever it is asked; a reopened server reads the mark and its head block', async () => {
  const store = new MemoryStore()
  const server = await open(store)
  await grow(server, 12)
  const chainStore = server.entity(chain.entity)!.chainStore
  assert.equal(await pruneBlocks(chainStore, 1_000, 100), { pruned: 11, firstKept: 12 }, 'the head block stays')
  assert.ok(await chainStore.loadBlockAt(12))

  const reopened = await open(store)
  const entity = reopened.entity(chain.entity)!
  assert.is(entity.tip.height, 12, 'the head block was there to restart from')
  assert.is(entity.chainStore.firstKept, 12, 'the mark is on disk')
  // and the chain goes on from there
  await grow(reopened, 0)
  assert.equal(await pruneBlocks(entity.chainStore, 1_000, 100), { pruned: 0, firstKept: 12 })
})

test('a block pruned between reading its index and its bytes reads as absent; below the mark only', async () => {
  const store = new MemoryStore()
  const server = await open(store)
  await grow(server, 3)
  const chainStore = server.entity(chain.entity)!.chainStore
  const hash1 = (await chainStore.loadBlockHash(1))!
  const hash3 = (await chainStore.loadBlockHash(3))!
  // the block's bytes are gone but its index is not yet: what a reader sees mid-prune
  await chainStore.prune([{ type: 'del', key: blockKey(chain.entity, hash1) }], 2)
  assert.is(await chainStore.loadBlockAt(1), undefined)
  // at a kept height the same gap is damage
  await store.del(blockKey(chain.entity, hash3))
  const err = await chainStore.loadBlockAt(3).then(() => undefined, (e: unknown) => e)
  assert.ok(isCoreError(err, 'STORAGE_CORRUPT'), String(err))
})

test('the mark only rises', async () => {
  const server = await open(new MemoryStore())
  await grow(server, 5)
  const chainStore = server.entity(chain.entity)!.chainStore
  await pruneBlocks(chainStore, 4, 10)
  const err = await chainStore.prune([], 2).then(() => undefined, (e: unknown) => e)
  assert.instance(err, RangeError)
  assert.is(chainStore.firstKept, 4)
})

test.run()
