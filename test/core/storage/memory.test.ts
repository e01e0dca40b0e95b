import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { MemoryStore } from '../../../packages/core/src/storage/memory.ts'
import { storageSuite } from './suite.ts'

storageSuite('MemoryStore', async () => {
  const store = new MemoryStore()
  return { store, cleanup: () => store.close() }
})

test('separate MemoryStores share nothing', async () => {
  const a = new MemoryStore()
  const b = new MemoryStore()
  await a.put(Uint8Array.of(1), Uint8Array.of(1))
  assert.is(await b.get(Uint8Array.of(1)), undefined)
})

test.run()
