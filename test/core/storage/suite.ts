// The contract of KeyValueStore and ChainStore, run against every implementation. Not a test file
// itself: memory.test.ts and level.test.ts each call storageSuite with their own store.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type Bytes, compare, concat, toHex, u64 } from '../../../packages/core/src/bytes.ts'
import { encodeRlp, encodeUint } from '../../../packages/core/src/codec/rlp.ts'
import { type ErrorCode, ErrorCode as Codes, isCoreError } from '../../../packages/core/src/errors.ts'
import { sha256 } from '../../../packages/core/src/hash.ts'
import { ChainStore, type CommittedBlock } from '../../../packages/core/src/storage/chain-store.ts'
import type { KeyValueStore } from '../../../packages/core/src/storage/interface.ts'
import { headKey, heightKey, txIndexKey } from '../../../packages/core/src/storage/schema.ts'

export interface OpenedStore {
  store: KeyValueStore
  cleanup(): Promise<void>
}

interface Context {
  opened?: OpenedStore
}

const b = (...bytes: number[]): Bytes => Uint8Array.from(bytes)
const hash = (label: string): Bytes => sha256(new TextEncoder().encode(label))

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

async function rejects(run: () => Promise<unknown>, code: ErrorCode, what: string): Promise<void> {
  try {
    await run()
  } catch (err) {
    assert.ok(isCoreError(err, code), `${what}: expected ${code}, got ${String(err)}`)
    return
  }
  assert.unreachable(`${what}: expected ${code}, but it resolved`)
}

function block(entity: Bytes, height: number, overrides: Partial<CommittedBlock> = {}): CommittedBlock {
  return {
    height,
    blockHash: hash(`block ${toHex(entity)} ${height}`),
    block: b(0xb0, height),
    commit: b(0xc0, height),
    stateRoot: hash(`root ${height}`),
    stateWrites: [],
    txHashes: [],
    ...overrides,
  }
}

export function storageSuite(name: string, open: () => Promise<OpenedStore>): void {
  const s = suite<Context>(name, {})

  s.before.each(async (ctx) => {
    ctx.opened = await open()
  })
  s.after.each(async (ctx) => {
    await ctx.opened?.cleanup()
    ctx.opened = undefined
  })
  const storeOf = (ctx: Context): KeyValueStore => ctx.opened!.store

  s('get, put and del', async (ctx) => {
    const store = storeOf(ctx)
    assert.is(await store.get(b(1)), undefined)
    await store.put(b(1), b(10))
    assert.equal(await store.get(b(1)), b(10))
    await store.put(b(1), b(11))
    assert.equal(await store.get(b(1)), b(11), 'put overwrites')
    await store.put(b(1, 0), b(12))
    assert.equal(await store.get(b(1)), b(11), 'a longer key is a different key')
    await store.del(b(1))
    assert.is(await store.get(b(1)), undefined)
    assert.equal(await store.get(b(1, 0)), b(12))
    await store.del(b(9)) // deleting a missing key is not an error
    await store.put(b(2), b())
    assert.equal(await store.get(b(2)), b(), 'an empty value is a value, not a missing one')
  })

  s('getMany keeps the order of the keys asked', async (ctx) => {
    const store = storeOf(ctx)
    await store.put(b(1), b(10))
    await store.put(b(3), b(30))
    assert.equal(await store.getMany([b(3), b(2), b(1), b(3)]), [b(30), undefined, b(10), b(30)])
    assert.equal(await store.getMany([]), [])
  })

  s('batch applies every op, later ops on a key winning', async (ctx) => {
    const store = storeOf(ctx)
    await store.put(b(1), b(10))
    await store.put(b(2), b(20))
    await store.batch([
      { type: 'del', key: b(1) },
      { type: 'put', key: b(3), value: b(30) },
      { type: 'put', key: b(4), value: b(40) },
      { type: 'del', key: b(4) },
      { type: 'del', key: b(2) },
      { type: 'put', key: b(2), value: b(21) },
    ])
    assert.equal(await store.getMany([b(1), b(2), b(3), b(4)]), [undefined, b(21), b(30), undefined])
    await store.batch([], { sync: true })
    await store.batch([{ type: 'put', key: b(5), value: b(50) }], { sync: true })
    assert.equal(await store.get(b(5)), b(50))
  })

  s('a batch with a malformed op writes nothing', async (ctx) => {
    const store = storeOf(ctx)
    const bad = [
      { type: 'put', key: 'text', value: b(1) },
      { type: 'put', key: b(8), value: 'text' },
      { type: 'merge', key: b(8) },
    ]
    for (const op of bad) {
      const ops = [{ type: 'put', key: b(7), value: b(70) }, op] as Parameters<KeyValueStore['batch']>[0]
      try {
        await store.batch(ops)
        assert.unreachable(`${JSON.stringify(op)} was accepted`)
      } catch (err) {
        assert.instance(err, TypeError, `${JSON.stringify(op)}`)
      }
      assert.is(await store.get(b(7)), undefined, `${JSON.stringify(op)}: the valid op stayed unwritten`)
    }
  })

  s('iterate returns keys in byte order, a key before its extensions', async (ctx) => {
    const store = storeOf(ctx)
    const keys = [b(2), b(1, 0, 0), b(0xff), b(1), b(0), b(1, 0), b(1, 0xff), b(0x80), b(0, 0xff, 0xff)]
    for (const key of keys) await store.put(key, b(key.length))
    const expected = [b(0), b(0, 0xff, 0xff), b(1), b(1, 0), b(1, 0, 0), b(1, 0xff), b(2), b(0x80), b(0xff)]
    const got = await collect(store.iterate({}))
    assert.equal(got.map(([k]) => k), expected)
    assert.equal(got.map(([, v]) => v), expected.map((k) => b(k.length)))
  })

  s('iterate agrees with a sorted model over many keys', async (ctx) => {
    const store = storeOf(ctx)
    const model = new Map<string, Bytes>()
    const ops = []
    for (let i = 0; i < 300; i++) {
      const digest = sha256(u64(i))
      const key = digest.subarray(0, 1 + (digest[31]! % 4)) // 1-4 bytes: many share prefixes
      model.set(toHex(key), key)
      ops.push({ type: 'put' as const, key, value: u64(i) })
    }
    await store.batch(ops)
    const sorted = [...model.values()].sort(compare)
    assert.equal((await collect(store.iterate({}))).map(([k]) => k), sorted)
    const reversed = (await collect(store.iterate({ reverse: true }))).map(([k]) => k)
    assert.equal(reversed, [...sorted].reverse())
  })

  s('gte is inclusive, lt exclusive, and bounds need not be keys', async (ctx) => {
    const store = storeOf(ctx)
    for (const key of [b(1), b(2), b(2, 0), b(3), b(4)]) await store.put(key, key)
    const keys = async (range: Parameters<KeyValueStore['iterate']>[0]) =>
      (await collect(store.iterate(range))).map(([k]) => k)
    assert.equal(await keys({ gte: b(2), lt: b(4) }), [b(2), b(2, 0), b(3)])
    assert.equal(await keys({ gte: b(2, 0) }), [b(2, 0), b(3), b(4)])
    assert.equal(await keys({ lt: b(2, 0) }), [b(1), b(2)])
    assert.equal(await keys({ gte: b(1, 5), lt: b(3, 1) }), [b(2), b(2, 0), b(3)])
    assert.equal(await keys({ gte: b(3), lt: b(3) }), [])
    assert.equal(await keys({ gte: b(4), lt: b(2) }), [], 'an inverted range is empty')
    assert.equal(await keys({ gte: b(5) }), [])
  })

  s('reverse and limit', async (ctx) => {
    const store = storeOf(ctx)
    for (const key of [b(1), b(2), b(3), b(4), b(5)]) await store.put(key, key)
    const keys = async (range: Parameters<KeyValueStore['iterate']>[0]) =>
      (await collect(store.iterate(range))).map(([k]) => k)
    assert.equal(await keys({ reverse: true }), [b(5), b(4), b(3), b(2), b(1)])
    assert.equal(await keys({ gte: b(2), lt: b(5), reverse: true }), [b(4), b(3), b(2)])
    assert.equal(await keys({ limit: 2 }), [b(1), b(2)])
    assert.equal(await keys({ limit: 2, reverse: true }), [b(5), b(4)], 'limit counts from the top')
    assert.equal(await keys({ gte: b(2), lt: b(5), reverse: true, limit: 2 }), [b(4), b(3)])
    assert.equal(await keys({ limit: 0 }), [])
    assert.equal(await keys({ limit: 99 }), [b(1), b(2), b(3), b(4), b(5)])
    try {
      await keys({ limit: -1 })
      assert.unreachable('a negative limit was accepted')
    } catch (err) {
      assert.instance(err, RangeError)
    }
  })

  s('an iteration does not see writes made during it', async (ctx) => {
    const store = storeOf(ctx)
    for (const key of [b(1), b(3)]) await store.put(key, key)
    const iterator = store.iterate({})
    const first = await iterator.next()
    assert.equal(first.value, [b(1), b(1)])
    await store.put(b(2), b(2))
    await store.put(b(3), b(33))
    const rest = await collect(iterator)
    assert.equal(rest, [[b(3), b(3)]])
  })

  s('stored bytes are copies of the caller\'s', async (ctx) => {
    const store = storeOf(ctx)
    const key = b(1)
    const value = b(10, 11)
    await store.put(key, value)
    value[0] = 99
    key[0] = 2
    assert.equal(await store.get(b(1)), b(10, 11), 'mutating an inserted value')
    const got = (await store.get(b(1)))!
    got[0] = 99
    assert.equal(await store.get(b(1)), b(10, 11), 'mutating a returned value')
    const [many] = await store.getMany([b(1)])
    many![0] = 99
    assert.equal(await store.get(b(1)), b(10, 11), 'mutating a getMany value')
    const batchValue = b(20)
    await store.batch([{ type: 'put', key: b(2), value: batchValue }])
    batchValue[0] = 99
    assert.equal(await store.get(b(2)), b(20), 'mutating a batched value')
    for await (const [k, v] of store.iterate({})) {
      k[0] = 0x7f
      v[0] = 99
    }
    assert.equal(await collect(store.iterate({})), [
      [b(1), b(10, 11)],
      [b(2), b(20)],
    ], 'mutating iterated entries')
  })

  s('every operation after close rejects with StorageClosed', async (ctx) => {
    const store = storeOf(ctx)
    await store.put(b(1), b(10))
    await store.close()
    await rejects(() => store.get(b(1)), Codes.StorageClosed, 'get')
    await rejects(() => store.getMany([b(1)]), Codes.StorageClosed, 'getMany')
    await rejects(() => store.put(b(1), b(1)), Codes.StorageClosed, 'put')
    await rejects(() => store.del(b(1)), Codes.StorageClosed, 'del')
    await rejects(() => store.batch([]), Codes.StorageClosed, 'batch')
    await rejects(() => store.iterate({}).next(), Codes.StorageClosed, 'iterate')
    await store.close() // a second close is harmless
  })

  s('closing ends an iteration in progress with StorageClosed', async (ctx) => {
    const store = storeOf(ctx)
    for (const key of [b(1), b(2), b(3)]) await store.put(key, key)
    const iterator = store.iterate({})
    assert.equal((await iterator.next()).value, [b(1), b(1)])
    await store.close()
    await rejects(() => iterator.next(), Codes.StorageClosed, 'next after close')
  })

  const entity = hash('entity')

  s('ChainStore: an empty chain loads nothing', async (ctx) => {
    const chain = new ChainStore(storeOf(ctx), entity)
    assert.is(await chain.loadHead(), undefined)
    assert.is(await chain.loadBlockHash(1), undefined)
    assert.is(await chain.loadBlockAt(1), undefined)
    assert.is(await chain.loadBlock(hash('x')), undefined)
    assert.is(await chain.loadCommit(1), undefined)
    assert.is(await chain.loadTxLocation(hash('tx')), undefined)
    assert.is(await chain.loadState(b(1)), undefined)
    assert.equal(await collect(chain.iterateState()), [])
  })

  s('ChainStore: saveBlock, then every load finds it', async (ctx) => {
    const chain = new ChainStore(storeOf(ctx), entity)
    const txs = [hash('tx0'), hash('tx1'), hash('tx2')]
    const saved = block(entity, 1, { stateWrites: [[b(1), b(10)], [b(2), b(20)]], txHashes: txs })
    await chain.saveBlock(saved, { sync: true })
    assert.equal(await chain.loadHead(), { height: 1, blockHash: saved.blockHash, stateRoot: saved.stateRoot })
    assert.equal(await chain.loadBlockHash(1), saved.blockHash)
    assert.equal(await chain.loadBlock(saved.blockHash), saved.block)
    assert.equal(await chain.loadBlockAt(1), saved.block)
    assert.equal(await chain.loadCommit(1), saved.commit)
    for (const [index, txHash] of txs.entries()) {
      assert.equal(await chain.loadTxLocation(txHash), { height: 1, index }, `tx ${index}`)
    }
    assert.equal(await chain.loadState(b(1)), b(10))
    assert.equal(await chain.loadState(b(2)), b(20))
    assert.is(await chain.loadBlockHash(2), undefined)
    assert.is(await chain.loadCommit(2), undefined)
  })

  s('ChainStore: a later block moves the head, overwrites and deletes state', async (ctx) => {
    const chain = new ChainStore(storeOf(ctx), entity)
    const first = block(entity, 1, { stateWrites: [[b(1), b(10)], [b(2), b(20)]], txHashes: [hash('a')] })
    const second = block(entity, 2, { stateWrites: [[b(1), null], [b(2), b(21)], [b(3), b(30)]], txHashes: [hash('b')] })
    await chain.saveBlock(first)
    await chain.saveBlock(second)
    assert.equal(await chain.loadHead(), { height: 2, blockHash: second.blockHash, stateRoot: second.stateRoot })
    assert.equal(await chain.loadBlockAt(1), first.block, 'the earlier block stays reachable')
    assert.equal(await chain.loadBlockAt(2), second.block)
    assert.equal(await chain.loadTxLocation(hash('a')), { height: 1, index: 0 })
    assert.equal(await chain.loadTxLocation(hash('b')), { height: 2, index: 0 })
    assert.is(await chain.loadState(b(1)), undefined, 'null deletes')
    assert.equal(await collect(chain.iterateState()), [
      [b(2), b(21)],
      [b(3), b(30)],
    ])
  })

  s('ChainStore: iterateState by prefix, and only its own entity', async (ctx) => {
    const store = storeOf(ctx)
    // An all-0xff entity is the edge case for the range's upper bound.
    const other = new Uint8Array(32).fill(0xff)
    const chain = new ChainStore(store, entity)
    const neighbour = new ChainStore(store, other)
    const writes: Array<[Bytes, Bytes]> = [
      [b(0x6b, 1), b(1)],
      [b(0x6b), b(0)],
      [b(0x6b, 0xff), b(2)],
      [b(0x6c), b(3)],
      [b(0x6a, 0xff), b(4)],
    ]
    await chain.saveBlock(block(entity, 1, { stateWrites: writes }))
    await neighbour.saveBlock(block(other, 1, { stateWrites: [[b(0x6b, 9), b(9)], [b(0xff), b(8)]] }))
    assert.equal(await collect(chain.iterateState(b(0x6b))), [
      [b(0x6b), b(0)],
      [b(0x6b, 1), b(1)],
      [b(0x6b, 0xff), b(2)],
    ])
    assert.equal((await collect(chain.iterateState())).length, 5)
    assert.equal(await collect(neighbour.iterateState()), [
      [b(0x6b, 9), b(9)],
      [b(0xff), b(8)],
    ])
    assert.equal(await collect(neighbour.iterateState(b(0xff))), [[b(0xff), b(8)]])
  })

  s('ChainStore: records that do not decode are StorageCorrupt', async (ctx) => {
    const store = storeOf(ctx)
    const chain = new ChainStore(store, entity)
    await chain.saveBlock(block(entity, 1, { txHashes: [hash('tx')] }))
    const corruptHeads: Array<[string, Bytes]> = [
      ['not RLP', b(0xf8)],
      ['trailing bytes', concat(encodeRlp([encodeUint(1), hash('h'), hash('r')]), b(0))],
      ['two fields', encodeRlp([encodeUint(1), hash('h')])],
      ['short hash', encodeRlp([encodeUint(1), b(1, 2), hash('r')])],
      ['non-canonical height', encodeRlp([b(0, 1), hash('h'), hash('r')])],
    ]
    for (const [what, value] of corruptHeads) {
      await store.put(headKey(entity), value)
      await rejects(() => chain.loadHead(), Codes.StorageCorrupt, `head: ${what}`)
    }
    await store.put(heightKey(entity, 1), b(0xc0))
    await rejects(() => chain.loadBlockHash(1), Codes.StorageCorrupt, 'height index')
    await rejects(() => chain.loadBlockAt(1), Codes.StorageCorrupt, 'block at a corrupt height')
    await store.put(txIndexKey(entity, hash('tx')), encodeRlp(encodeUint(1)))
    await rejects(() => chain.loadTxLocation(hash('tx')), Codes.StorageCorrupt, 'tx index')
  })

  s('ChainStore: a height index without its block is StorageCorrupt', async (ctx) => {
    const store = storeOf(ctx)
    const chain = new ChainStore(store, entity)
    await store.put(heightKey(entity, 3), encodeRlp(hash('missing')))
    assert.equal(await chain.loadBlockHash(3), hash('missing'))
    await rejects(() => chain.loadBlockAt(3), Codes.StorageCorrupt, 'dangling index')
  })

  s('ChainStore: malformed ids are refused before anything is written', async (ctx) => {
    const store = storeOf(ctx)
    assert.throws(() => new ChainStore(store, b(1, 2, 3)), RangeError)
    const chain = new ChainStore(store, entity)
    const bad: Array<[string, Partial<CommittedBlock>]> = [
      ['short block hash', { blockHash: b(1) }],
      ['short state root', { stateRoot: b(1) }],
      ['short tx hash', { txHashes: [hash('ok'), b(1)] }],
      ['negative height', { height: -1 }],
    ]
    for (const [what, overrides] of bad) {
      try {
        await chain.saveBlock(block(entity, 1, overrides))
        assert.unreachable(`${what} was accepted`)
      } catch (err) {
        assert.instance(err, RangeError, what)
      }
    }
    assert.equal(await collect(store.iterate({})), [], 'nothing was written')
  })

  s.run()
}
