// A node started after 500 blocks exist syncs to the head and then follows consensus, as a
// follower joining a running network would.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Cluster, waitFor } from './cluster.ts'

const BLOCKS = 500
const LATE = 4

test(`a node started after ${BLOCKS} blocks syncs to the head, then follows consensus`, async () => {
  // a short block interval so that 500 blocks take tens of seconds, not minutes
  const cluster = await Cluster.start({ validators: 4, followers: 1, deferred: [LATE], config: { consensus: { blockIntervalMs: 20, emptyBlockIntervalMs: 0 } } })
  try {
    const validators = cluster.nodes.slice(0, 4)
    const started = Date.now()
    await waitFor(`${BLOCKS} blocks`, async () => Math.min(...(await cluster.heights(validators))) >= BLOCKS, 180_000, 500)
    const built = Date.now() - started

    const syncStart = Date.now()
    await cluster.startNode(LATE)
    const late = cluster.nodes[LATE]!
    const head = Math.max(...(await cluster.heights(validators)))
    await waitFor('the late node reaches the head it found', async () => (await late.client.status()).height >= head, 60_000, 200)
    const synced = Date.now() - syncStart
    const reached = (await late.client.status()).height

    // following: it keeps up with new blocks and agrees with the validators on them
    await waitFor('it follows new blocks', async () => (await late.client.status()).height >= reached + 20, 30_000, 200)
    // a follower of a fast chain may briefly fall behind and sync again; it must settle
    const status = await waitFor('not syncing', async () => {
      const s = await late.client.status()
      return s.syncing ? undefined : s
    }, 10_000, 50)
    assert.is(status.validator, false)
    const [mine, theirs] = await Promise.all([late.client.block(reached + 10), validators[0]!.client.block(reached + 10)])
    assert.is(mine!.hash, theirs!.hash)
    assert.is(mine!.stateRoot, theirs!.stateRoot)
    const health = await late.client.health()
    assert.is(health.status, 'ok')
    process.stdout.write(`  ${BLOCKS} blocks built in ${built} ms; the late node synced ${reached} blocks in ${synced} ms (with start-up)\n`)
  } finally {
    await cluster.stop()
  }
})

test.run()
