// tx, kv, block and status against one real node (a single validator: it commits alone, fast),
// through the real binary.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decodeStateProof, fromHex, kvKeyFromPath, utf8, verifyStateProof } from '../../packages/core/src/index.ts'
import { Cluster, assertExit, assertHex, runCli, runJson, waitFor } from './helpers.ts'

let cluster: Cluster
let home: string
let account: string
const cli = (...args: string[]) => runCli(['--home', home, ...args])
const json = <T = Record<string, unknown>>(...args: string[]) => runJson<T>(['--home', home, ...args])

test.before(async () => {
  cluster = await Cluster.start({ validators: 1 })
  home = cluster.nodes[0]!.home
  account = (await cluster.nodes[0]!.client.status()).accountAddress
})
test.after(async () => {
  await cluster?.stop()
})

test('status --json has the fields scripts rely on', async () => {
  const [s, human] = await Promise.all([json('status'), cli('status')])
  assert.is(s['peerId'], cluster.nodes[0]!.peerId)
  assert.is(s['network'], 'testnet')
  assert.type(s['height'], 'number')
  assertHex(s['headHash'], 32, 'headHash')
  assertHex(s['stateRoot'], 32, 'stateRoot')
  assert.is(s['syncing'], false)
  assert.is(s['peers'], 0)
  assert.is(s['validator'], true)
  const mempool = s['mempool'] as { size: number; bytes: number }
  assert.type(mempool.size, 'number')
  assert.type(mempool.bytes, 'number')
  assertExit(human, 0, 'status')
  assert.match(human.stdout, /^height:\s+\d+$/m)
  assert.match(human.stdout, new RegExp(`^account:\\s+${account}$`, 'm'))
})

test('tx counter-add --wait commits, prints the height, and the counter grows', async () => {
  const before = (await cluster.nodes[0]!.client.entity()).counter
  const [r, human] = await Promise.all([json<{ hash: string; height: number; nonce: number }>('tx', 'counter-add', '7', '--wait'), cli('tx', 'counter-add', '1', '--wait')])
  assertHex(r.hash, 32, 'hash')
  assert.ok(Number.isInteger(r.height) && r.height > 0, `height ${r.height}`)
  const status = await cluster.nodes[0]!.client.transactionStatus(r.hash)
  assert.is(status.status, 'committed')
  assert.is((status as { height: number }).height, r.height)
  assert.is((await cluster.nodes[0]!.client.entity()).counter, before + 8)
  assertExit(human, 0, 'counter-add human')
  assert.match(human.stdout, /committed at height \d+/)
})

test('tx counter-add without --wait: height null; tx status follows it to committed', async () => {
  const r = await json<{ hash: string; height: null }>('tx', 'counter-add', '2')
  assert.is(r.height, null)
  const s = await waitFor('committed', async () => {
    const v = await json<{ hash: string; status: string; height?: number }>('tx', 'status', r.hash)
    return v.status === 'committed' ? v : undefined
  })
  assert.is(s.hash, r.hash)
  assert.type(s.height, 'number')
})

test('tx status: an unknown hash prints status unknown and exits 6; a malformed one exits 7', async () => {
  const [r, malformed, negative] = await Promise.all([cli('tx', 'status', 'ab'.repeat(32), '--json'), cli('tx', 'status', 'xyz'), cli('tx', 'counter-add', '-3')])
  assertExit(r, 6, 'unknown tx')
  assert.is(JSON.parse(r.stdout).status, 'unknown')
  assertExit(malformed, 7, 'malformed hash')
  assertExit(negative, 7, 'negative amount')
})

test('kv set --wait, kv get (--prove verified), kv keys --prefix, kv del', async () => {
  const [set] = await Promise.all([
    json<{ key: string; hash: string; height: number }>('kv', 'set', 'greeting', 'hello world', '--wait'),
    json('kv', 'set', 'other', '00ff', '--hex', '--wait'),
  ])
  assert.is(set.key, `${account}/greeting`)
  assert.type(set.height, 'number')

  const [got, binary, proven, human, keys, all] = await Promise.all([
    json<{ key: string; found: boolean; value: string; hex: string; height: number }>('kv', 'get', set.key),
    json<{ value: string | null; hex: string }>('kv', 'get', `${account}/other`),
    json<{ proof: string; stateRoot: string; verified: boolean; value: string }>('kv', 'get', set.key, '--prove'),
    cli('kv', 'get', set.key, '--prove'),
    json<string[]>('kv', 'keys', '--prefix', `${account}/gr`),
    json<string[]>('kv', 'keys', '--prefix', `${account}/`),
  ])
  assert.is(got.key, set.key)
  assert.is(got.found, true)
  assert.is(got.value, 'hello world')
  assert.is(got.hex, Buffer.from('hello world').toString('hex'))
  assert.ok(got.height >= set.height)

  assert.is(binary.hex, '00ff')
  assert.is(binary.value, null, 'bytes that are not UTF-8 have no text')

  assert.is(proven.verified, true)
  assert.is(proven.value, 'hello world')
  // the printed proof is one an outsider can check too
  const proof = decodeStateProof(fromHex(proven.proof))
  assert.equal(proof.key, kvKeyFromPath(set.key))
  assert.equal(proof.value, utf8('hello world'))
  assert.ok(verifyStateProof(fromHex(proven.stateRoot), proof))
  assertExit(human, 0, 'kv get --prove')
  assert.match(human.stdout, /proof:\s+verified/)

  assert.equal(keys, [set.key])
  assert.equal([...all].sort(), [`${account}/greeting`, `${account}/other`])
  assert.equal(await json<string[]>('kv', 'keys', '--prefix', `${account}/`, '--limit', '1'), [all[0]])

  const del = await json<{ key: string; height: number }>('kv', 'del', 'greeting', '--wait')
  assert.is(del.key, set.key)
  const gone = await json<{ found: boolean; value: null; hex: null; proof: string; verified: boolean }>('kv', 'get', set.key, '--prove')
  assert.is(gone.found, false)
  assert.is(gone.hex, null)
  assert.is(gone.verified, true, 'absence is proven too')
  assert.is(decodeStateProof(fromHex(gone.proof)).value, null)
})

test('kv: malformed keys exit 7', async () => {
  const cases: Array<[string, string[]]> = [
    ['key without account', ['kv', 'get', 'greeting']],
    ['key too long', ['kv', 'set', 'x'.repeat(300), 'v']],
    ['bad hex value', ['kv', 'set', 'k', 'zz', '--hex']],
    ['limit 0', ['kv', 'keys', '--limit', '0']],
  ]
  const results = await Promise.all(cases.map(([, args]) => cli(...args)))
  results.forEach((r, i) => assertExit(r, 7, cases[i]![0]))
})

test('block head and block get by height and hash; a missing block exits 6', async () => {
  const tx = await json<{ hash: string; height: number }>('tx', 'counter-add', '3', '--wait')
  const byHeight = await json<{ height: number; hash: string; parentHash: string; stateRoot: string; txs: Array<{ hash: string; kind: string; account: string }>; commit: { signers: number[] } }>('block', 'get', String(tx.height))
  assert.is(byHeight.height, tx.height)
  assertHex(byHeight.hash, 32, 'block hash')
  assertHex(byHeight.parentHash, 32, 'parent hash')
  const mine = byHeight.txs.find((t) => t.hash === tx.hash)
  assert.ok(mine, 'the committed transaction is in its block')
  assert.is(mine!.kind, 'counter.add')
  assert.is(mine!.account, account)
  assert.equal(byHeight.commit.signers, [0])

  const [byHash, head, human, missingHeight, missingHash, neither] = await Promise.all([
    json<{ height: number; hash: string }>('block', 'get', byHeight.hash),
    json<{ height: number; hash: string }>('block', 'head'),
    cli('block', 'get', String(tx.height)),
    cli('block', 'get', '99999999'),
    cli('block', 'get', 'cd'.repeat(32)),
    cli('block', 'get', 'latest'),
  ])
  assert.is(byHash.height, tx.height)
  assert.ok(head.height >= tx.height)
  assertHex(head.hash, 32, 'head hash')
  assertExit(human, 0, 'block get human')
  assert.match(human.stdout, /counter\.add/)
  assertExit(missingHeight, 6, 'missing height')
  assertExit(missingHash, 6, 'missing hash')
  assertExit(neither, 7, 'neither height nor hash')
})

test.run()
