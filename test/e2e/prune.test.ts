// Pruning on a real network (storage.keepBlocks): one validator keeps every block, a follower
// prunes to its newest 100. The pruned follower says so in /status and survives a restart; a
// fresh node given both gets the old blocks from the validator and holds nothing against the
// pruned one; a fresh node whose only peer is the pruned one says why it cannot sync, and does
// not strike it either. Checked through the API only, as an operator would.

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Cluster, waitFor } from './cluster.ts'

const KEEP = 100
const [ARCHIVE, PRUNED, FRESH, STRANDED] = [0, 1, 2, 3]

async function setConfig(home: string, storage: Record<string, unknown>): Promise<void> {
  const file = join(home, 'config.json')
  const config = JSON.parse(await readFile(file, 'utf8')) as { storage?: Record<string, unknown> }
  config.storage = { ...config.storage, ...storage }
  await writeFile(file, JSON.stringify(config, null, 2))
}

test('a fresh node syncs old blocks from a peer that kept them, and one with only pruned peers says why it cannot', async () => {
  const cluster = await Cluster.start({
    validators: 1,
    followers: 3,
    deferred: [PRUNED, FRESH, STRANDED],
    // the stranded node knows only the pruned one
    bootstrap: (i) => (i === ARCHIVE ? [] : i === PRUNED ? [ARCHIVE] : i === FRESH ? [ARCHIVE, PRUNED] : [PRUNED]),
    config: { consensus: { blockIntervalMs: 20, emptyBlockIntervalMs: 0 } },
  })
  try {
    const [archive, pruned, fresh, stranded] = cluster.nodes as [typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0], typeof cluster.nodes[0]]
    await setConfig(pruned.home, { keepBlocks: KEEP })
    await cluster.startNode(PRUNED)
    const cut = await waitFor('the follower pruned past height 200', async () => {
      const s = await pruned.client.status()
      return s.servesFrom > 200 ? s : undefined
    }, 120_000, 500)
    assert.ok(cut.height - cut.servesFrom + 1 >= KEEP, `it keeps at least ${KEEP}: ${cut.servesFrom}..${cut.height}`)
    const gone = await pruned.client.block(cut.servesFrom - 1).then(() => 'served', (err: { code?: string }) => err.code)
    assert.is(gone, 'BLOCK_PRUNED')
    // the pruner may move its mark between a status and the next request: ask at the latest mark
    await waitFor('its first kept block served', async () => {
      const { servesFrom } = await pruned.client.status()
      return pruned.client.block(servesFrom).then((block) => block !== undefined, () => false)
    }, 10_000, 100)

    // a restart reads the mark and the head block back, and the follower follows on
    await cluster.kill(PRUNED, 'SIGTERM')
    await cluster.startNode(PRUNED)
    const again = await pruned.client.status()
    assert.ok(again.servesFrom >= cut.servesFrom && again.height >= cut.height, `after the restart: ${again.servesFrom}..${again.height}`)
    await waitFor('it follows after the restart', async () => (await pruned.client.status()).height >= again.height + 20, 30_000, 200)

    // a fresh node with both: every block from 1, none of it asked of the pruned one
    await cluster.startNode(FRESH)
    const head = (await archive.client.status()).height
    await waitFor('the fresh node reaches the head', async () => (await fresh.client.status()).height >= head, 90_000, 250)
    const [mine, theirs] = await Promise.all([fresh.client.block(1), archive.client.block(1)])
    assert.is(mine!.hash, theirs!.hash, 'block 1 came from the node that kept it')
    assert.equal(await fresh.client.bans(), [], 'nobody banned')
    const seen = (await fresh.client.peers()).find((p) => p.peerId === pruned.peerId)
    assert.ok(seen, 'the pruned follower is still its peer')
    assert.ok(seen!.score >= 0, `and in good standing (score ${seen!.score})`)
    assert.is((await fresh.client.status()).syncBlocked, null)

    // the chain stops; a node that can reach only the pruned follower cannot sync from it
    await cluster.kill(FRESH, 'SIGTERM')
    await cluster.kill(ARCHIVE, 'SIGTERM')
    const frozen = await pruned.client.status()
    await cluster.startNode(STRANDED)
    const blocked = await waitFor('the stranded node says why it cannot sync', async () => (await stranded.client.status()).syncBlocked ?? undefined, 30_000, 250)
    assert.equal(blocked, { code: 'SYNC_PEERS_PRUNED', need: 1, peersServeFrom: frozen.servesFrom })
    const health = await stranded.client.health()
    assert.is(health.status, 'down')
    assert.match(health.reason ?? '', /pruned/)
    // the check that found it blocked is the one that, before pruning was known, asked the pruned
    // peer for height 1 and struck it for the empty answer
    assert.equal(await stranded.client.bans(), [])
    const peer = (await stranded.client.peers()).find((p) => p.peerId === pruned.peerId)
    assert.ok(peer && peer.score >= 0, `the pruned peer is connected and in good standing (${JSON.stringify(peer)})`)
    const log = await readFile(stranded.logFile, 'utf8')
    assert.is(log.split('\n').filter((l) => l.includes('"code":"SYNC_PEERS_PRUNED"')).length, 1, 'the log says it once')
    assert.is(log.split('\n').filter((l) => l.includes('could not back its height')).length, 0, 'and blames nobody')
  } finally {
    await cluster.stop()
  }
})

test.run()
