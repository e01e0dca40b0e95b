// The schema version record (storage/schema-version.ts): a server opening a database writes the
// version it reads into one that has none (new, or made before versions were recorded) and
// refuses one of another version with a code, before it reads or writes anything else.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { encodeRlp, encodeUint } from '../../../packages/core/src/codec/rlp.ts'
import { Server } from '../../../packages/core/src/machines/server.ts'
import { MemoryStore } from '../../../packages/core/src/storage/memory.ts'
import { SCHEMA_VERSION, headKey, schemaVersionKey } from '../../../packages/core/src/storage/schema.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()
const open = (store: MemoryStore) => Server.open({ id: seed('schema test server'), store, entities: [chain.genesis], sync: false })
const codeOf = (p: Promise<unknown>) => p.then(() => 'opened', (err: { code?: string }) => err.code ?? String(err))

test('a new database gets the current version; a database without one (older releases) opens and gets it', async () => {
  const store = new MemoryStore()
  await open(store)
  assert.equal(await store.get(schemaVersionKey()), encodeRlp(encodeUint(SCHEMA_VERSION)))
  // as a release before the record left it: chain data, no version
  await store.del(schemaVersionKey())
  assert.ok(await store.get(headKey(chain.entity)))
  assert.is(await codeOf(open(store)), 'opened')
  assert.equal(await store.get(schemaVersionKey()), encodeRlp(encodeUint(SCHEMA_VERSION)))
})

test('a database of another version is refused with STORAGE_SCHEMA_UNSUPPORTED, and left as it was', async () => {
  for (const version of [SCHEMA_VERSION + 1, 0]) {
    const store = new MemoryStore()
    await store.put(schemaVersionKey(), encodeRlp(encodeUint(version)))
    assert.is(await codeOf(open(store)), 'STORAGE_SCHEMA_UNSUPPORTED', `version ${version}`)
    assert.is(await store.get(headKey(chain.entity)), undefined, `version ${version}: nothing written`)
  }
})

test('a version record that does not decode is STORAGE_CORRUPT', async () => {
  const store = new MemoryStore()
  await store.put(schemaVersionKey(), Uint8Array.of(0xc3, 0x01))
  assert.is(await codeOf(open(store)), 'STORAGE_CORRUPT')
})

test.run()
