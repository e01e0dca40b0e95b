// The peer records in memory over a real LevelDB: what is read from where, when it reaches the
// disk, and what a restart finds. The node-level check (a restarted node redials a peer it knew)
// is restart.test.ts.

import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { Key } from 'interface-datastore'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { PeerCachingDatastore } from '../../../packages/node/src/network/peer-datastore.ts'
import { silentLogger } from '../../../packages/node/src/network/logger.ts'
import { removeHomes, tempHome } from './helpers.ts'

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

/** The name of the error a promise fails with (what libp2p's peer store checks). */
async function errorName(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: Error) => err.name,
  )
}

async function open(dir: string, maxCachedPeers?: number): Promise<{ level: LevelDatastore; store: PeerCachingDatastore }> {
  const level = new LevelDatastore(join(dir, 'peers'))
  await level.open()
  const store = new PeerCachingDatastore(level, { log: silentLogger, ...(maxCachedPeers === undefined ? {} : { maxCachedPeers }) })
  await store.load()
  return { level, store }
}

async function all(source: AsyncIterable<{ key: Key; value: Uint8Array }>): Promise<string[]> {
  const out: string[] = []
  for await (const { key, value } of source) out.push(`${key.toString()}=${text(value)}`)
  return out
}

test.after(removeHomes)

test('peer records are read and written in memory, and reach LevelDB on flush', async () => {
  const { level, store } = await open(await tempHome('peer-ds'))
  try {
    const key = new Key('/peers/a')
    await store.put(key, bytes('one'))
    await store.put(key, bytes('two'))
    assert.is(text(await store.get(key)), 'two')
    assert.is(await store.has(key), true)
    assert.is(await level.has(key), false, 'not written yet')
    assert.is(store.pending, 1, 'two writes of one record: one pending')
    await store.flush()
    assert.is(text(await level.get(key)), 'two')
    assert.is(store.pending, 0)
    // other keys (kad-dht's) are LevelDB's at once
    await store.put(new Key('/dht/record/x'), bytes('r'))
    assert.is(text(await level.get(new Key('/dht/record/x'))), 'r')
    assert.is(await errorName(store.get(new Key('/peers/nobody'))), 'NotFoundError', 'as LevelDB says it')
  } finally {
    await store.stop()
    await level.close()
  }
})

test('stop() writes what is pending; a new store finds the records, a deleted one stays deleted', async () => {
  const dir = await tempHome('peer-ds')
  let { level, store } = await open(dir)
  await store.put(new Key('/peers/a'), bytes('A'))
  await store.put(new Key('/peers/b'), bytes('B'))
  await store.flush()
  await store.delete(new Key('/peers/b'))
  await store.put(new Key('/peers/c'), bytes('C'))
  await store.stop()
  await level.close()
  ;({ level, store } = await open(dir))
  try {
    assert.equal(await all(store.query({ prefix: '/peers/' })), ['/peers/a=A', '/peers/c=C'])
  } finally {
    await store.stop()
    await level.close()
  }
})

test('a query of the peer records applies filters, orders, offset and limit', async () => {
  const { level, store } = await open(await tempHome('peer-ds'))
  try {
    for (const name of ['d', 'a', 'c', 'b', 'e']) await store.put(new Key(`/peers/${name}`), bytes(name.toUpperCase()))
    await store.put(new Key('/dht/x'), bytes('X'))
    const query = store.query({
      prefix: '/peers/',
      filters: [({ value }) => text(value) !== 'C'],
      orders: [(a, b) => (a.key.toString() < b.key.toString() ? -1 : 1)],
      offset: 1,
      limit: 2,
    })
    assert.equal(await all(query), ['/peers/b=B', '/peers/d=D'])
    // a query of the whole store sees both kinds, the peer records brought up to date first
    assert.equal((await all(store.query({}))).sort(), ['/dht/x=X', '/peers/a=A', '/peers/b=B', '/peers/c=C', '/peers/d=D', '/peers/e=E'])
  } finally {
    await store.stop()
    await level.close()
  }
})

test('past maxCachedPeers, records go to LevelDB directly and are still found', async () => {
  const dir = await tempHome('peer-ds')
  const { level, store } = await open(dir, 2)
  try {
    for (const name of ['a', 'b', 'c']) await store.put(new Key(`/peers/${name}`), bytes(name))
    assert.is(store.pending, 2, 'two in memory')
    assert.is(text(await level.get(new Key('/peers/c'))), 'c', 'the third written through')
    assert.is(text(await store.get(new Key('/peers/c'))), 'c')
    assert.is(await store.has(new Key('/peers/c')), true)
    assert.equal((await all(store.query({ prefix: '/peers/' }))).sort(), ['/peers/a=a', '/peers/b=b', '/peers/c=c'])
    assert.is(await errorName(store.get(new Key('/peers/nobody'))), 'NotFoundError')
  } finally {
    await store.stop()
    await level.close()
  }
})

test.run()
