// peers, connect, disconnect, and the errors an operator meets (wrong token, node not running,
// --wait giving up), against two real validator nodes through the real binary.

// Node 20 lacks Promise.withResolvers, which libp2p 2.x calls (the hostile peer below)
import '../../packages/node/src/polyfill.ts'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { shortId } from '../../packages/cli/src/output.ts'
import { type Cluster, assertExit, copyHome, removeDir, runCli, runJson, startPair, waitFor } from './helpers.ts'

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

/** What must never reach an operator's terminal raw: C0, DEL, C1, bidi controls. */
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

test('text output never carries control characters from the node: a peer\'s agent, kv get, kv keys', async () => {
  // a plain libp2p peer whose identify agent would clear the screen and retitle the terminal
  const hostile = await createLibp2p({
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    nodeInfo: { userAgent: 'evil\u001b]0;pwned\u0007/1.0\u001b[2J\u202e' },
    services: { identify: identify() },
  })
  try {
    const id = hostile.peerId.toString()
    await hostile.dial(multiaddr(node(0).multiaddr))
    await waitFor('the hostile peer identified', async () => (await json<PeerJson[]>(0, 'peers')).some((p) => p.peerId === id && p.agent !== null))
    const [peers, table] = await Promise.all([json<PeerJson[]>(0, 'peers'), cli(0, 'peers')])
    assert.is(peers.find((p) => p.peerId === id)?.agent, 'evil/1.0', 'the node keeps the agent sanitized')
    assertExit(table, 0, 'peers table')
    assert.not.match(table.stdout, UNPRINTABLE)
    assert.ok(table.stdout.includes('evil/1.0'), table.stdout)

    // a stored value and key are whatever a transaction wrote
    const value = 'ding\u0007\u001b[2Jgone\u009b31m'
    const set = await json<{ key: string }>(0, 'kv', 'set', 'k\u001b[31m', value, '--wait')
    const [text, got, keys] = await Promise.all([
      cli(0, 'kv', 'get', set.key),
      json<{ value: string }>(0, 'kv', 'get', set.key),
      cli(0, 'kv', 'keys', '--prefix', set.key.split('/')[0]!),
    ])
    assert.is(got.value, value, 'JSON carries the value exactly (escaped)')
    for (const [what, out] of [['kv get', text], ['kv keys', keys]] as const) {
      assertExit(out, 0, what)
      assert.not.match(out.stdout, UNPRINTABLE, what)
    }
    assert.ok(text.stdout.includes('ding\\x07\\x1b[2Jgone\\x9b31m'), text.stdout)
    assert.ok(keys.stdout.includes('/k\\x1b[31m'), keys.stdout)
  } finally {
    await hostile.stop()
  }
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
