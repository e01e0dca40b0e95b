// peers, connect, disconnect, and the errors an operator meets (wrong token, node not running,
// --wait giving up), against two real validator nodes through the real binary.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { shortId } from '../../packages/cli/src/output.ts'
import { type Cluster, assertExit, connectedTo, copyHome, removeDir, runCli, runJson, startPair, waitFor } from './helpers.ts'

// a well-formed peer id no node of this test has
const STRANGER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

let cluster: Cluster
const node = (i: number) => cluster.nodes[i]!
const cli = (i: number, ...args: string[]) => runCli(['--home', node(i).home, ...args])
const json = <T = Record<string, unknown>>(i: number, ...args: string[]) => runJson<T>(['--home', node(i).home, ...args])

interface PeerJson {
  peerId: string
  addr: string
  direction: string
  connectedSince: number
  latencyMs: number | null
  agent: string | null
  score: number
}

test.before(async () => {
  cluster = await startPair()
})
test.after(async () => {
  await cluster?.stop()
})

test('peers: a table for people, JSON objects with the documented fields', async () => {
  const [peers, table] = await Promise.all([json<PeerJson[]>(0, 'peers'), cli(0, 'peers')])
  assert.ok(Array.isArray(peers))
  const peer = peers.find((p) => p.peerId === node(1).peerId)
  assert.ok(peer, 'node1 is listed')
  assert.match(peer!.addr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
  assert.ok(['inbound', 'outbound'].includes(peer!.direction), peer!.direction)
  assert.ok(peer!.latencyMs === null || typeof peer!.latencyMs === 'number')
  assert.type(peer!.score, 'number')
  assert.type(peer!.connectedSince, 'number')
  assertExit(table, 0, 'peers table')
  const [header, ...rows] = table.stdout.trimEnd().split('\n')
  assert.match(header!, /^PEER\s+ADDRESS\s+DIRECTION\s+CONNECTED\s+LATENCY\s+AGENT\s+SCORE$/)
  assert.ok(rows.some((r) => r.startsWith(shortId(node(1).peerId))), table.stdout)
})

test('connect and disconnect: bad input exits 7, an unknown peer 6, an unreachable one 13', async () => {
  const [bad, notPeerId, unknown, unreachable] = await Promise.all([
    cli(0, 'connect', '/ip4/999.1.1.1/tcp/1'),
    cli(0, 'disconnect', 'not-a-peer-id'),
    cli(0, 'disconnect', STRANGER),
    cli(0, 'connect', `/ip4/127.0.0.1/tcp/1/p2p/${STRANGER}`),
  ])
  assertExit(bad, 7, 'bad multiaddr')
  assert.match(bad.stderr, /is not a multiaddr/)
  assertExit(notPeerId, 7, 'malformed peer id')
  assertExit(unknown, 6, 'peer not connected')
  assertExit(unreachable, 13, 'unreachable peer')
  assert.match(unreachable.stderr, /could not connect to \/ip4\/127\.0\.0\.1\/tcp\/1/)
})

test('disconnect a peer, then connect it again by its multiaddr', async () => {
  const gone = await json<{ peerId: string; disconnected: boolean }>(0, 'disconnect', node(1).peerId)
  assert.equal(gone, { peerId: node(1).peerId, disconnected: true })
  const back = await json<{ peerId: string; addr: string }>(0, 'connect', node(1).multiaddr)
  assert.is(back.peerId, node(1).peerId)
  assert.is(back.addr, node(1).multiaddr)
  await waitFor('node1 listed again', async () => (await json<PeerJson[]>(0, 'peers')).some((p) => p.peerId === node(1).peerId))
})

test('a wrong API token exits 5 and names the token file', async () => {
  const copy = await copyHome(node(0).home)
  try {
    await writeFile(join(copy, 'api-token'), `${'0'.repeat(64)}\n`)
    const r = await runCli(['--home', copy, 'status'])
    assertExit(r, 5, 'wrong token')
    assert.match(r.stderr, /refused the API token/)
    assert.ok(r.stderr.includes(join(copy, 'api-token')), r.stderr)
  } finally {
    await removeDir(copy)
  }
})

test('--wait gives up with exit 11 when the network cannot commit; a stopped node exits 4', async () => {
  await cluster.kill(1, 'SIGTERM')
  // one validator of two cannot commit alone: the transaction stays pending
  const [waited, stopped] = await Promise.all([cli(0, 'tx', 'counter-add', '1', '--wait', '--timeout', '1'), cli(1, 'status')])
  assertExit(waited, 11, 'wait timeout')
  assert.match(waited.stderr, /not committed within 1 s/)
  assertExit(stopped, 4, 'node not running')
  assert.ok(stopped.stderr.includes(`http://127.0.0.1:${node(1).apiPort}`), stopped.stderr)
  assert.ok(stopped.stderr.includes(node(1).home), stopped.stderr)
  assert.match(stopped.stderr, /p2pnode start --home/)
})

test.run()
