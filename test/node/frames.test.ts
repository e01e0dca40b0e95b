// The frame log of a running node stays within `storage.keepFrames`, and a node restarted with a
// smaller window trims its log at start and carries on. A one-validator network commits alone, so
// the log grows by itself; the frames are counted in the node's LevelDB after each stop.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelStore } from '../../packages/core/src/storage/level.ts'
import { PREFIX_FRAME, PREFIX_FRAME_HEIGHT, prefixRange } from '../../packages/core/src/storage/schema.ts'
import { homePaths } from '../../packages/node/src/home/home.ts'
import { generateTestnet } from '../../packages/node/src/home/testnet.ts'
import { startNode } from '../../packages/node/src/node.ts'
import { silentLogger } from '../../packages/node/src/logger.ts'
import { FAST_CONSENSUS, freeBasePort, waitFor } from '../e2e/cluster.ts'

async function countFrames(home: string): Promise<{ bodies: number; index: number }> {
  const store = await LevelStore.open(homePaths(home).data)
  try {
    let bodies = 0
    let index = 0
    for await (const _ of store.iterate(prefixRange(new Uint8Array([PREFIX_FRAME])))) bodies++
    for await (const _ of store.iterate(prefixRange(new Uint8Array([PREFIX_FRAME_HEIGHT])))) index++
    return { bodies, index }
  } finally {
    await store.close()
  }
}

async function setKeepFrames(home: string, keepFrames: number): Promise<void> {
  const file = join(home, 'config.json')
  const config = JSON.parse(await readFile(file, 'utf8')) as { storage?: Record<string, unknown> }
  config.storage = { ...config.storage, keepFrames }
  await writeFile(file, JSON.stringify(config, null, 2))
}

test('a node keeps its newest keepFrames frames, and trims a longer log when restarted with a smaller window', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-frames-'))
  try {
    const { nodes } = await generateTestnet({ out: dir, validators: 1, basePort: await freeBasePort(1), config: { ...FAST_CONSENSUS, storage: { keepFrames: 25 } } })
    const home = nodes[0]!.home
    let node = await startNode({ home, logger: silentLogger() })
    // every committed block is at least one frame: 60 blocks is well past the window
    await waitFor('height 60', () => node.api.status().height >= 60, 60_000)
    await node.stop()
    assert.equal(await countFrames(home), { bodies: 25, index: 25 })

    await setKeepFrames(home, 5)
    node = await startNode({ home, logger: silentLogger() })
    const restartedAt = node.api.status().height
    assert.ok(restartedAt >= 60, 'the chain is all there')
    await waitFor('more blocks after the restart', () => node.api.status().height >= restartedAt + 10, 30_000)
    await node.stop()
    assert.equal(await countFrames(home), { bodies: 5, index: 5 })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
