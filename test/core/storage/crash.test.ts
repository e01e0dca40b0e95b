// Crash safety for real: a child process commits blocks into LevelDB in a loop and is killed
// with SIGKILL at random moments; after every kill the database must reopen to a whole head
// block whose state, commit and indexes all agree, with nothing half-written past it.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { equals } from '../../../packages/core/src/bytes.ts'
import { blockHash, decodeBlock, decodeCommit } from '../../../packages/core/src/codec/objects.ts'
import { Server, readFrames } from '../../../packages/core/src/machines/server.ts'
import { LevelStore } from '../../../packages/core/src/storage/level.ts'
import { verifyCommit } from '../../../packages/core/src/validation/commit.ts'
import { CRASH_SERVER_ID, crashChain } from '../../fixtures/crash-writer.ts'

const KILLS = 20
const WRITER = new URL('../../fixtures/crash-writer.ts', import.meta.url).pathname

/** A small seeded PRNG (mulberry32), so a failing run can be repeated. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Starts the writer and resolves once it has committed `blocks` more blocks, with the child. */
function startWriter(dir: string, blocks: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let seen = 0
    let stderr = ''
    const deadline = setTimeout(() => reject(new Error(`writer made no progress in 30 s: ${stderr}`)), 30_000)
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString().split('\n').filter(Boolean).length
      if (seen >= blocks) {
        clearTimeout(deadline)
        resolve(child)
      }
    })
    child.on('exit', (code) => {
      clearTimeout(deadline)
      if (seen < blocks) reject(new Error(`writer exited with ${code}: ${stderr}`))
    })
  })
}

function kill(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve())
    child.kill('SIGKILL')
  })
}

/** Opens the database as a restarting node would and checks the head from every side. */
async function checkWhole(dir: string): Promise<number> {
  const store = await LevelStore.open(dir)
  try {
    // Server.open reloads the entity state, checks it against the head's state root, and checks
    // the server's state hash against the one stored with the last frame.
    const server = await Server.open({ id: CRASH_SERVER_ID, store, entities: [crashChain.genesis] })
    const entity = server.entity(crashChain.entity)!
    const chainStore = entity.chainStore
    const head = (await chainStore.loadHead())!
    assert.ok(head, 'head exists')
    assert.is(entity.tip.height, head.height)
    if (head.height > 0) {
      const block = decodeBlock((await chainStore.loadBlockAt(head.height))!)
      assert.ok(equals(blockHash(block.header), head.blockHash), 'head block hashes to the head')
      assert.ok(equals(block.header.stateRoot, head.stateRoot), 'head block carries the head state root')
      const commit = decodeCommit((await chainStore.loadCommit(head.height))!)
      verifyCommit(commit, {
        network: crashChain.network,
        entity: crashChain.entity,
        height: head.height,
        blockHash: head.blockHash,
        validators: crashChain.genesis.validators,
        threshold: crashChain.genesis.threshold,
      })
      for (const hash of block.txs.map((_, i) => i)) assert.ok(hash >= 0)
    }
    assert.is(await chainStore.loadBlockHash(head.height + 1), undefined, 'nothing written past the head')
    assert.is(await chainStore.loadCommit(head.height + 1), undefined, 'no commit past the head')
    let frames = 0
    for await (const frame of readFrames(store)) frames = frame.height
    assert.is(frames, server.frameHeight, 'the frame log ends at the server root')
    return head.height
  } finally {
    await store.close()
  }
}

test(`SIGKILL at ${KILLS} random moments never leaves a half-written block`, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2pnode-crash-'))
  const random = prng(Number(process.env['CRASH_SEED'] ?? 20261121))
  try {
    let last = 0
    const heights: number[] = []
    for (let i = 0; i < KILLS; i++) {
      const child = await startWriter(dir, 1)
      // let it run on for a random while: from at once to a few blocks
      await new Promise((r) => setTimeout(r, random() * 60))
      await kill(child)
      const height = await checkWhole(dir)
      assert.ok(height >= last, `kill ${i}: height ${height} went back from ${last}`)
      heights.push(height)
      last = height
    }
    assert.ok(last >= KILLS, `at least one block per run was kept (reached ${last})`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
