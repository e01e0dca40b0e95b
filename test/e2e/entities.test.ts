// Entities beside the root, with seven node processes (issue 12, point 6): the root's validators
// are nodes 0..3; "shop" is validated by nodes 4..6 (followers of the root), "mart" by nodes 4, 1
// and 2, "fair" by node0's second key and node3. Each joins what it validates and commits its own
// blocks and kv writes, read back proven on every host; node0 joins shop late as a follower and
// catches up over sync/2 (the request names the entity); a shop proposal changes shop's set and
// no other; a validator restarted with SIGKILL hosts its entities again (the joins are in its
// server root); a flood of transactions on shop leaves the root and fair at their rate; with
// shop's validators all killed, shop stops and the root and fair go on at their
// undisturbed rate; node0 leaves shop.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AccountSigner, TxKind, encodeKvSet, encodeTx, fromHex, sha256, toHex, utf8 } from '../../packages/core/src/index.ts'
import type { HostedEntityView } from '../../packages/node/src/api/node-api.ts'
import { Cluster, runCli, runJson, waitFor } from '../cli/helpers.ts'

let cluster: Cluster
const node = (i: number) => cluster.nodes[i]!
const json = <T = Record<string, unknown>>(i: number, ...args: string[]) => runJson<T>(['--home', node(i).home, ...args])
const shopOn = async (i: number) => (await node(i).client.entities()).find((e) => e.name === 'shop')
const line = (text: string) => process.stdout.write(`  ${text}\n`)
/** Heights of the root and fair on node0, and their rates over a window. */
const heightsOf = async () => ({ root: (await node(0).client.status()).height, fair: (await on(0, 'fair'))!.height })
const rates = async (seconds: number) => {
  const from = await heightsOf()
  const started = Date.now()
  await waitFor(`${seconds} s`, () => Date.now() - started >= seconds * 1000, seconds * 1000 + 5_000, 250)
  const to = await heightsOf()
  const elapsed = (Date.now() - started) / 1000
  return { root: (to.root - from.root) / elapsed, fair: (to.fair - from.fair) / elapsed }
}

/** shop's validators: the root's followers. */
const SHOP = [4, 5, 6]

test.before(async () => {
  cluster = await Cluster.start({ validators: 4, followers: 3 })
  await waitFor('the network commits', async () => (await node(0).client.status()).height >= 2, 30_000)
})
test.after(async () => {
  await cluster?.stop()
})

test('an entity registered in the root runs on the nodes that join it; a late follower syncs it', async () => {
  const files: string[] = []
  for (const i of SHOP) {
    const file = join(cluster.dir, `shop-keys-${i}.json`)
    await writeFile(file, JSON.stringify(await json(i, 'keys', 'show')))
    files.push(file)
  }
  const created = await json<{ id: string; height: number }>(0, 'entity', 'create', '--name', 'shop', '--from-keys', ...files, '--wait')
  for (const i of SHOP) {
    await waitFor(`node${i} has the registration`, async () => (await node(i).client.status()).height >= created.height, 20_000)
    const joined = await json<HostedEntityView>(i, 'entity', 'join', 'shop')
    assert.is(joined.id, created.id)
    assert.is(joined.role, 'validator', `node${i} validates shop`)
  }
  // shop commits its own blocks (a heartbeat each second on these clusters) beside the root
  await waitFor('shop at height 4 on its validators', async () => {
    const heights = await Promise.all(SHOP.map(async (i) => (await shopOn(i))?.height ?? 0))
    return heights.every((h) => h >= 4)
  }, 30_000)
  const shop1 = (await shopOn(SHOP[0]!))!
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

test("shop's own transactions: a kv write read back on every host, a validator-set change in shop alone", async () => {
  const [a, b, c] = SHOP as [number, number, number]
  const written = await json<{ key: string; height: number }>(a, '--entity', 'shop', 'kv', 'set', 'colour', 'teal', '--wait')
  for (const i of [0, ...SHOP]) {
    await waitFor(`node${i}'s shop at ${written.height}`, async () => ((await shopOn(i))?.height ?? 0) >= written.height, 20_000)
    const read = await json<{ value: string; verified: boolean }>(i, '--entity', 'shop', 'kv', 'get', written.key, '--prove')
    assert.is(read.value, 'teal', `node${i}`)
    assert.ok(read.verified)
    const root = await json<{ found: boolean }>(i, 'kv', 'get', written.key)
    assert.not.ok(root.found, `the root has no such entry on node${i}`)
  }
  // shop drops its third validator: all three vote (a quorum of 3 shares is more than 2/3 of them)
  const keys = await Promise.all([a, b].map((i) => json<{ validatorPublicKey: string; accountAddress: string; proofOfPossession: string }>(i, 'keys', 'show')))
  const set = keys.map((k) => `${k.validatorPublicKey}:${k.accountAddress}:1:${k.proofOfPossession}`)
  const proposal = await json<{ id: string }>(a, '--entity', 'shop', 'proposal', 'create', 'validators.set', ...set, '--wait')
  for (const i of [b, c]) await json(i, '--entity', 'shop', 'proposal', 'vote', proposal.id, '--wait')
  await waitFor('shop governed by two validators', async () => ((await node(a).client.entities()).find((e) => e.name === 'shop')?.validators ?? 0) === 2, 20_000)
  const rootView = await node(a).client.entity()
  assert.is(rootView.validators.length, 4, "the root's set is untouched")
  const shopView = await node(a).client.entities().then((all) => all.find((e) => e.name === 'shop')!)
  assert.is(shopView.validators, 2)
})

/** `name` on node i: its hosted view, if it hosts it. */
const on = async (i: number, name: string) => (await node(i).client.entities()).find((e) => e.name === name)

test('three entities with overlapping sets: one signer in two of them, one node hosting validators of two', async () => {
  // node0 gets a second validator key (a restart loads it): its primary validates the root, the
  // new one "fair"; node4's key validates both "shop" and "mart"; node1 and node2 validate the
  // root and "mart"
  const extra = await json<{ validatorPublicKey: string }>(0, 'keys', 'add')
  await cluster.kill(0, 'SIGTERM')
  await cluster.startNode(0)
  const keyFile = async (i: number, key?: string) => {
    const file = join(cluster.dir, `keys-${i}-${key ?? 'primary'}.json`)
    await writeFile(file, JSON.stringify(await json(i, 'keys', 'show', ...(key ? ['--key', key] : []))))
    return file
  }
  const mart = await json<{ id: string; height: number }>(3, 'entity', 'create', '--name', 'mart', '--from-keys', await keyFile(4), await keyFile(1), await keyFile(2), '--wait')
  const fair = await json<{ id: string; height: number }>(3, 'entity', 'create', '--name', 'fair', '--from-keys', await keyFile(0, extra.validatorPublicKey.slice(0, 16)), await keyFile(3), '--wait')
  const members: Record<string, number[]> = { mart: [4, 1, 2], fair: [0, 3] }
  for (const [name, nodes] of Object.entries(members)) {
    for (const i of nodes) {
      await waitFor(`node${i} has the registrations`, async () => (await node(i).client.status()).height >= Math.max(mart.height, fair.height), 20_000)
      assert.is((await json<HostedEntityView>(i, 'entity', 'join', name)).role, 'validator', `node${i} validates ${name}`)
    }
  }
  assert.equal((await node(0).client.entities()).filter((e) => e.role === 'validator').map((e) => e.name), ['root', 'fair'], 'node0 validates two entities, each with its own key')
  assert.equal((await node(4).client.entities()).filter((e) => e.role === 'validator').map((e) => e.name).sort(), ['mart', 'shop'], "node4's one key validates two entities")
  assert.equal((await node(4).client.status()).entities.map((e) => `${e.name} ${e.role}`), ['root follower', 'shop validator', 'mart validator'], 'status summarizes every hosted entity')
  // each entity commits its own kv write, read back (proven) on every node that hosts it
  for (const [name, nodes] of Object.entries(members)) {
    const written = await json<{ key: string; height: number }>(nodes[0]!, '--entity', name, 'kv', 'set', 'where', name, '--wait')
    for (const i of nodes) {
      await waitFor(`${name} at ${written.height} on node${i}`, async () => ((await on(i, name))?.height ?? 0) >= written.height, 20_000)
      assert.is((await json<{ value: string }>(i, '--entity', name, 'kv', 'get', written.key, '--prove')).value, name, `${name} on node${i}`)
    }
  }
  line(`heights: ${(await Promise.all(['root', 'shop', 'mart', 'fair'].map(async (n) => `${n} ${(await on(n === 'fair' ? 0 : 4, n))?.height ?? '-'}`))).join(', ')}`)
})

test('a validator killed with SIGKILL and restarted hosts its entities again (the joins are in its server root)', async () => {
  // node1 validates the root (four validators: it may be missing) and mart
  const hostedBefore = (await node(1).client.entities()).map((e) => `${e.name} ${e.role}`)
  await cluster.kill(1)
  await cluster.startNode(1)
  const after = await waitFor('node1 hosts its entities again', async () => {
    const listed = (await node(1).client.entities()).map((e) => `${e.name} ${e.role}`)
    return listed.length === hostedBefore.length ? listed : undefined
  }, 20_000)
  assert.equal(after, hostedBefore)
  const root = (await node(0).client.status()).height
  await waitFor('the root moves with node1 back', async () => (await node(1).client.status()).height > root, 30_000)
})

test('leave stops hosting it; the root cannot be left', async () => {
  const left = await runCli(['--home', node(0).home, 'entity', 'leave', 'shop'])
  assert.is(left.code, 0, left.stderr)
  assert.is(await shopOn(0), undefined)
  const root = await runCli(['--home', node(0).home, 'entity', 'leave', (await node(0).client.status()).entity])
  assert.is(root.code, 9, `leaving the root is refused: ${root.stderr}`)
  assert.match(root.stderr, /root entity cannot be left/)
})

test('a flood of transactions on shop leaves the root and fair at their undisturbed rate', async () => {
  const { network } = await node(4).client.status()
  const shop = fromHex((await on(4, 'shop'))!.id)
  // 1,500 signed kv.set from 150 fresh accounts, signed before the windows. node0 left shop (the
  // test before): neither of fair's validators hosts it, and what the flood can take from them is
  // the machine's CPU (seven node processes on two cores), not their event loops
  const txs = Array.from({ length: 150 }, (_, i) => new AccountSigner(sha256(utf8(`flood-${i}`)))).flatMap((a) =>
    Array.from({ length: 10 }, (_, n) => toHex(encodeTx(a.signTransaction({ network, entity: shop, nonce: n, kind: TxKind.KvSet, payload: encodeKvSet(`k${n}`, utf8('x'.repeat(200))) })))),
  )
  const undisturbed = await rates(8)
  const shopFrom = (await on(4, 'shop'))!.height
  let admitted = 0
  const flood = (async () => {
    for (let i = 0; i < txs.length; i += 500) admitted += (await node(4).client.submitTransactions(txs.slice(i, i + 500))).filter((r) => 'hash' in r).length
  })()
  const disturbed = await rates(8)
  await flood
  line(`blocks/s undisturbed -> with ${admitted} txs flooding shop: root ${undisturbed.root.toFixed(2)} -> ${disturbed.root.toFixed(2)} (${(disturbed.root / undisturbed.root).toFixed(2)}x), fair ${undisturbed.fair.toFixed(2)} -> ${disturbed.fair.toFixed(2)} (${(disturbed.fair / undisturbed.fair).toFixed(2)}x); shop ${shopFrom} -> ${(await on(4, 'shop'))!.height}`)
  assert.ok(admitted >= 1_000, `the flood reached shop: ${admitted} admitted`)
  assert.ok(disturbed.root >= 0.8 * undisturbed.root, `the root keeps its rate: ${disturbed.root.toFixed(2)} of ${undisturbed.root.toFixed(2)} blocks/s`)
  assert.ok(disturbed.fair >= 0.8 * undisturbed.fair, `fair keeps its rate: ${disturbed.fair.toFixed(2)} of ${undisturbed.fair.toFixed(2)} blocks/s`)
})

test("with one entity's validators all down it stops (and mart, which shares node4); the root and fair go on at their undisturbed rate", async () => {
  // node0 joins shop again (it left it above): it follows it from where it stopped
  await json(0, 'entity', 'join', 'shop')
  const target = (await shopOn(4))!.height
  await waitFor(`node0's shop back at ${target}`, async () => ((await shopOn(0))?.height ?? 0) >= target, 30_000)
  const undisturbed = await rates(8)
  for (const i of SHOP) await cluster.kill(i)
  const shopBefore = (await shopOn(0))!.height
  const disturbed = await rates(8)
  const shopAfter = (await shopOn(0))!.height
  line(`blocks/s with shop running -> with shop's validators down: root ${undisturbed.root.toFixed(2)} -> ${disturbed.root.toFixed(2)} (${(disturbed.root / undisturbed.root).toFixed(2)}x), fair ${undisturbed.fair.toFixed(2)} -> ${disturbed.fair.toFixed(2)} (${(disturbed.fair / undisturbed.fair).toFixed(2)}x); shop on node0 ${shopBefore} -> ${shopAfter}`)
  assert.ok(shopAfter <= shopBefore + 1, 'shop stopped (a block in flight at the kill may still land)')
  assert.ok(disturbed.root >= 0.8 * undisturbed.root, `the root keeps its rate: ${disturbed.root.toFixed(2)} of ${undisturbed.root.toFixed(2)} blocks/s`)
  assert.ok(disturbed.fair >= 0.8 * undisturbed.fair, `fair keeps its rate: ${disturbed.fair.toFixed(2)} of ${undisturbed.fair.toFixed(2)} blocks/s`)
})

test.run()
