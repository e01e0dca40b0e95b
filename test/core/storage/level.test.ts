import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sha256 } from '../../../packages/core/src/hash.ts'
import { ChainStore } from '../../../packages/core/src/storage/chain-store.ts'
import { LevelStore } from '../../../packages/core/src/storage/level.ts'
import { storageSuite } from './suite.ts'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'p2pnode-level-'))
}

storageSuite('LevelStore', async () => {
  const dir = await tempDir()
  const store = await LevelStore.open(dir)
  return {
    store,
    async cleanup() {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
})

test('data survives close and reopen', async () => {
  const dir = await tempDir()
  try {
    const entity = sha256(Uint8Array.of(1))
    const blockHash = sha256(Uint8Array.of(2))
    const stateRoot = sha256(Uint8Array.of(3))
    const first = await LevelStore.open(dir)
    await first.put(Uint8Array.of(1), Uint8Array.of(10))
    await new ChainStore(first, entity).saveBlock(
      {
        height: 7,
        blockHash,
        block: Uint8Array.of(0xb0),
        commit: Uint8Array.of(0xc0),
        stateRoot,
        stateWrites: [[Uint8Array.of(5), Uint8Array.of(50)]],
        txHashes: [],
      },
      { sync: true },
    )
    await first.close()

    const second = await LevelStore.open(dir)
    try {
      assert.equal(await second.get(Uint8Array.of(1)), Uint8Array.of(10))
      const chain = new ChainStore(second, entity)
      assert.equal(await chain.loadHead(), { height: 7, blockHash, stateRoot })
      assert.equal(await chain.loadBlockAt(7), Uint8Array.of(0xb0))
      assert.equal(await chain.loadState(Uint8Array.of(5)), Uint8Array.of(50))
    } finally {
      await second.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a database held open cannot be opened a second time', async () => {
  const dir = await tempDir()
  const first = await LevelStore.open(dir)
  try {
    let opened: LevelStore | undefined
    try {
      opened = await LevelStore.open(dir)
    } catch {
      // expected: LevelDB's lock file keeps a second opener (another node process) out
    }
    assert.is(opened, undefined, 'the second open succeeded')
  } finally {
    await first.close()
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
