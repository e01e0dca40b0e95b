// GET/POST/DELETE /bans against two real nodes in this process (createNode on generated testnet
// homes, libp2p over TCP on 127.0.0.1), read and written through the real Client as an operator's
// tools would: a banned peer is disconnected and refused both ways until it is unbanned.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  Client,
  ClientError,
  MAX_BAN_MINUTES,
  type RunningNode,
  type TestnetNode,
  createNode,
  generateTestnet,
} from '../../../packages/node/src/index.ts'
import { silentLogger } from '../../../packages/node/src/logger.ts'
import { FAST_CONSENSUS, freeBasePort, waitFor } from '../../e2e/cluster.ts'
import { rejects } from './helpers.ts'

// a well-formed peer id no node of this test has
const STRANGER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const MINUTE = 60_000

let dir: string
let homes: TestnetNode[]
const running: RunningNode[] = []
const clients: Client[] = []
/** Event streams to close before the nodes stop. */
const closers: Array<() => void> = []

async function connected(i: number, j: number): Promise<boolean> {
  return (await clients[i]!.peers()).some((p) => p.peerId === homes[j]!.peerId)
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pnode-api-bans-'))
  ;({ nodes: homes } = await generateTestnet({ out: dir, validators: 2, basePort: await freeBasePort(2), config: FAST_CONSENSUS }))
  for (const { home } of homes) {
    const node = await createNode({ home, logger: silentLogger() })
    running.push(node)
    clients.push(new Client({ url: node.apiUrl, token: node.home.apiToken, timeoutMs: 5_000 }))
  }
  await waitFor('node0 and node1 connected', async () => (await connected(0, 1)) && (await connected(1, 0)))
})

test.after(async () => {
  for (const close of closers) close()
  for (const node of running.reverse()) await node.stop()
  await rm(dir, { recursive: true, force: true })
})

test('no bans at first; a ban takes the defaults, is listed, and a later one replaces it', async () => {
  const c = clients[0]!
  assert.equal(await c.bans(), [])
  const before = Date.now()
  const ban = await c.ban(STRANGER)
  const after = Date.now()
  const banMinutes = running[0]!.home.config.p2p.banMinutes
  assert.is(ban.peerId, STRANGER)
  assert.is(ban.reason, 'banned by operator')
  assert.ok(ban.until >= before + banMinutes * MINUTE && ban.until <= after + banMinutes * MINUTE, `until ${ban.until} is banMinutes (${banMinutes}) from now`)
  assert.equal(await c.bans(), [ban])

  // an operator's explicit duration replaces the running ban, shorter or not
  const shorter = await c.ban(STRANGER, { minutes: 1, reason: 'floods the mempool' })
  assert.is(shorter.reason, 'floods the mempool')
  assert.ok(shorter.until < ban.until, 'the one-minute ban replaced the longer one')
  const longest = await c.ban(STRANGER, { minutes: MAX_BAN_MINUTES })
  assert.ok(longest.until >= before + MAX_BAN_MINUTES * MINUTE)
  assert.equal(await c.bans(), [longest])

  assert.is(await c.unban(STRANGER), undefined)
  assert.equal(await c.bans(), [])
})

test('a peer id in CID form bans the same peer, listed as libp2p prints it', async () => {
  const c = clients[0]!
  const cid = peerIdFromString(STRANGER).toCID().toString()
  assert.ok(cid.startsWith('b'), cid)
  assert.is((await c.ban(cid)).peerId, STRANGER)
  assert.equal((await c.bans()).map((b) => b.peerId), [STRANGER])
  await c.unban(cid)
  assert.equal(await c.bans(), [])
})

test('400 for a malformed peer id, bad minutes, a bad reason, or the node itself; 404 for an unknown unban', async () => {
  const c = clients[0]!
  const raw = (body: unknown) =>
    fetch(`${running[0]!.apiUrl}/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${running[0]!.home.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  const cases: Array<[string, unknown, string]> = [
    ['not a peer id', { peerId: 'not-a-peer-id' }, 'BAD_REQUEST'],
    ['letters that decode to no peer id', { peerId: 'abc' }, 'BAD_PEER_ID'],
    ['base58 of no peer id', { peerId: `1${'1'.repeat(45)}` }, 'BAD_PEER_ID'],
    ['no peer id', { minutes: 5 }, 'BAD_REQUEST'],
    ['zero minutes', { peerId: STRANGER, minutes: 0 }, 'BAD_REQUEST'],
    ['fractional minutes', { peerId: STRANGER, minutes: 2.5 }, 'BAD_REQUEST'],
    ['negative minutes', { peerId: STRANGER, minutes: -1 }, 'BAD_REQUEST'],
    ['too many minutes', { peerId: STRANGER, minutes: MAX_BAN_MINUTES + 1 }, 'BAD_REQUEST'],
    ['a reason of 201 characters', { peerId: STRANGER, reason: 'x'.repeat(201) }, 'BAD_REQUEST'],
    ['itself', { peerId: running[0]!.peerId }, 'CANNOT_BAN_SELF'],
  ]
  for (const [what, body, code] of cases) {
    const r = await raw(body)
    const answer = (await r.json()) as { error: { code: string; message: string } }
    assert.is(r.status, 400, what)
    assert.is(answer.error.code, code, `${what}: ${answer.error.message}`)
  }
  assert.equal(await c.bans(), [], 'nothing was banned')

  let e = await rejects(c.unban(STRANGER))
  assert.equal([e.status, e.code], [404, 'BAN_NOT_FOUND'])
  e = await rejects(c.unban('bad-peer!'))
  assert.equal([e.status, e.code], [400, 'BAD_REQUEST'])
  assert.ok((await c.status()).height >= 0, 'the node still answers')
})

test('401 without the token on every ban route', async () => {
  const url = running[0]!.apiUrl
  const cases: Array<[string, string, string | undefined]> = [
    ['GET', '/bans', undefined],
    ['POST', '/bans', JSON.stringify({ peerId: STRANGER })],
    ['DELETE', `/bans/${STRANGER}`, undefined],
  ]
  for (const [method, path, body] of cases) {
    const r = await fetch(`${url}${path}`, { method, ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}) })
    assert.is(r.status, 401, `${method} ${path}`)
    assert.is(((await r.json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED', `${method} ${path}`)
  }
  assert.equal(await clients[0]!.bans(), [], 'nothing was banned')
})

test('a banned peer is disconnected and refused both ways; unbanned, it connects again', async () => {
  const [c0, c1] = [clients[0]!, clients[1]!]
  const [node0, node1] = [homes[0]!, homes[1]!]
  // node0's own account of node1's connections, as an operator following GET /events sees it
  const seen: string[] = []
  await new Promise<void>((resolve, reject) => {
    const close = c0.events((event) => {
      if ((event.type === 'peer:connect' || event.type === 'peer:disconnect') && event.peerId === node1.peerId) seen.push(event.type)
    }, { onOpen: resolve, onEnd: (err) => err && reject(err) })
    closers.push(close)
  })

  const ban = await c0.ban(node1.peerId, { minutes: 10, reason: 'test' })
  assert.equal(await c0.bans(), [ban])
  await waitFor('node1 gone from node0 and node0 from node1', async () => !(await connected(0, 1)) && !(await connected(1, 0)))

  // node0 will not dial it
  const e = await rejects(c0.connect(node1.multiaddr))
  assert.equal([e.status, e.code], [409, 'PEER_BANNED'])
  // and node0's gater turns away node1's dial once it is encrypted; node1 may hear of that only
  // when the connection closes (libp2p settles the muxer lazily), so its connect may resolve
  await c1.connect(node0.multiaddr).catch((err: unknown) => {
    assert.instance(err, ClientError)
    assert.is((err as ClientError).code, 'CONNECT_FAILED')
  })
  await waitFor('node1 without a connection to node0', async () => !(await connected(1, 0)))
  assert.not.ok(await connected(0, 1), 'node0 is not connected to node1')
  assert.equal((await c0.bans()).map((b) => b.peerId), [node1.peerId], 'still banned')

  await c0.unban(node1.peerId)
  assert.equal(await c0.bans(), [])
  assert.equal(await c0.connect(node1.multiaddr), { peerId: node1.peerId })
  await waitFor('node0 and node1 connected again', async () => (await connected(0, 1)) && (await connected(1, 0)))
  // a connection node0 had accepted while the ban ran would show as a connect and a disconnect
  // between the ban's disconnect and the reconnect
  await waitFor('node0 reports the reconnect', () => seen[seen.length - 1] === 'peer:connect')
  assert.equal(seen, ['peer:disconnect', 'peer:connect'])
})

test.run()
