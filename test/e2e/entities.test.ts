// Entities beside the root, with real node processes: node0 registers "shop", validated by
// nodes 1..3; they join it and it commits its own heartbeat blocks beside the root; node0 joins
// late as a follower and catches up over sync/2 (the request names the entity); a validator
// restarted with SIGKILL hosts it again (the join is in its server root) and the entity goes on;
// node0 leaves it.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { HostedEntityView } from '../../packages/node/src/api/node-api.ts'
import { Cluster, runCli, runJson, waitFor } from '../cli/helpers.ts'

let cluster: Cluster
const node = (i: number) => cluster.nodes[i]!
const json = <T = Record<string, unknown>>(i: number, ...args: string[]) => runJson<T>(['--home', node(i).home, ...args])
const shopOn = async (i: number) => (await node(i).client.entities()).find((e) => e.name === 'shop')

test.before(async () => {
  cluster = await Cluster.start({ validators: 4 })
  await waitFor('the network commits', async () => (await node(0).client.status()).height >= 2, 30_000)
})
test.after(async () => {
  await cluster?.stop()
})

test('an entity registered in the root runs on the nodes that join it; a late follower syncs it', async () => {
  const files: string[] = []
  for (const i of [1, 2, 3]) {
    const file = join(cluster.dir, `shop-keys-${i}.json`)
    await writeFile(file, JSON.stringify(await json(i, 'keys', 'show')))
    files.push(file)
  }
  const created = await json<{ id: string; height: number }>(0, 'entity', 'create', '--name', 'shop', '--from-keys', ...files, '--wait')
  for (const i of [1, 2, 3]) {
    await waitFor(`node${i} has the registration`, async () => (await node(i).client.status()).height >= created.height, 20_000)
    const joined = await json<HostedEntityView>(i, 'entity', 'join', 'shop')
    assert.is(joined.id, created.id)
    assert.is(joined.role, 'validator', `node${i} validates shop`)
  }
  // shop commits its own blocks (a heartbeat each second on these clusters) beside the root
  await waitFor('shop at height 4 on nodes 1..3', async () => {
    const heights = await Promise.all([1, 2, 3].map(async (i) => (await shopOn(i))?.height ?? 0))
    return heights.every((h) => h >= 4)
  }, 30_000)
  const shop1 = (await shopOn(1))!
  assert.ok(shop1.validatorsOnline >= 3, `all 3 validators signed shop's head: ${shop1.validatorsOnline}`)
  assert.is((await node(0).client.entities()).length, 1, 'node0 hosts only the root so far')

  // node0 joins late, as a follower: it is behind by several heights and syncs them over sync/2
  const target = shop1.height
  const late = await json<HostedEntityView>(0, 'entity', 'join', created.id)
  assert.is(late.role, 'follower')
  await waitFor(`node0's shop at height ${target}`, async () => ((await shopOn(0))?.height ?? 0) >= target, 30_000)
  const rootHeight = (await node(0).client.status()).height
  await waitFor('the root goes on', async () => (await node(0).client.status()).height > rootHeight, 20_000)
})

test('a validator killed and restarted hosts the entity again, and the entity goes on', async () => {
  await cluster.kill(2)
  await cluster.startNode(2)
  await waitFor('node2 answers', async () => node(2).client.status().then(() => true, () => false), 30_000)
  const shop = await waitFor('node2 hosts shop again', () => shopOn(2), 10_000)
  assert.is(shop.role, 'validator')
  const before = (await shopOn(1))!.height
  await waitFor('shop moves with node2 back', async () => ((await shopOn(2))?.height ?? 0) > before && ((await shopOn(1))?.height ?? 0) > before, 30_000)
})

test('leave stops hosting it; the root cannot be left', async () => {
  const left = await runCli(['--home', node(0).home, 'entity', 'leave', 'shop'])
  assert.is(left.code, 0, left.stderr)
  assert.is(await shopOn(0), undefined)
  const root = await runCli(['--home', node(0).home, 'entity', 'leave', (await node(0).client.status()).entity])
  assert.is(root.code, 9, `leaving the root is refused: ${root.stderr}`)
  assert.match(root.stderr, /root entity cannot be left/)
})

test.run()
