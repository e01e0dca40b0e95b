import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Client } from '../../../packages/node/src/api/client.ts'
import { ApiError } from '../../../packages/node/src/api/node-api.ts'
import { ACCOUNT, makeBlock } from './stand-in.ts'
import { rejects, startApi } from './helpers.ts'

const hash = (n: number): string => n.toString(16).padStart(64, '0')

test('each Client method parses what the server returns', async () => {
  const api = await startApi()
  const c = api.client
  try {
    const status = await c.status()
    assert.is(status.height, 4)
    assert.is(status.accountAddress, ACCOUNT)
    assert.equal(await c.health(), { status: 'ok' })
    assert.equal(await c.peers(), api.node.peers())
    assert.equal(await c.connect('/ip4/127.0.0.1/tcp/4003/p2p/12D3KooWB'), { peerId: '12D3KooWB' })
    assert.equal(api.node.connected, ['/ip4/127.0.0.1/tcp/4003/p2p/12D3KooWB'])
    assert.is(await c.disconnect('12D3KooWB'), undefined)
    assert.equal(api.node.disconnected, ['12D3KooWB'])
    assert.equal(await c.bans(), [])
    const ban = await c.ban('12D3KooWB', { minutes: 5, reason: 'spam' })
    assert.equal(ban, { peerId: '12D3KooWB', until: 1_700_000_000_000 + 5 * 60_000, reason: 'spam' })
    assert.equal((await c.ban('12D3KooWC')).reason, 'banned by operator', 'minutes and reason are optional')
    assert.equal(await c.bans(), [ban, api.node.banList.get('12D3KooWC')])
    assert.is(await c.unban('12D3KooWB'), undefined)
    assert.equal((await c.bans()).map((b) => b.peerId), ['12D3KooWC'])
    assert.equal(await c.block(2), makeBlock(2))
    assert.equal(await c.block(makeBlock(3).hash), makeBlock(3))
    assert.is(await c.block(99), null)
    assert.equal((await c.blocks(1, 3)).map((b) => b.height), [1, 2, 3])
    assert.equal((await c.blocks(3)).map((b) => b.height), [3, 4])
    assert.equal(await c.head(), makeBlock(4))
    assert.equal(await c.submitTransaction('abcd'), { hash: hash(1) })
    assert.equal(await c.submitTransaction(new Uint8Array([0xef, 0x01])), { hash: hash(2) })
    assert.equal(api.node.submitted, ['abcd', 'ef01'])
    assert.equal(await c.submitUnsigned('kv.set', new Uint8Array([0xc0])), { hash: hash(3), nonce: 2 })
    assert.equal(await c.transactionStatus(hash(1)), { hash: hash(1), status: 'committed', height: 3, index: 0 })
    assert.equal(await c.transactionStatus(hash(2)), { hash: hash(2), status: 'rejected', code: 'TX_NONCE_GAP', message: 'nonce gap' })
    assert.equal(await c.transactionStatus(hash(9)), { hash: hash(9), status: 'unknown' })
    const kv = await c.kvGet(`${ACCOUNT}/greeting`)
    assert.equal([kv.text, kv.proof], ['hello', undefined])
    assert.is((await c.kvGet(`${ACCOUNT}/greeting`, { prove: true })).proof, 'c0')
    assert.is((await c.kvGet(`${ACCOUNT}/a key/with slash`)).value, null)
    assert.equal(api.node.lastKvGet, { key: `${ACCOUNT}/a key/with slash`, prove: false })
    assert.equal(await c.kvKeys(ACCOUNT), [`${ACCOUNT}/greeting`])
    assert.equal(await c.kvKeys('ff', 10), [])
    assert.equal(await c.entity(), api.node.entity())
    assert.equal(await c.proposals(), await api.node.proposals())
  } finally {
    await api.stop()
  }
})

test('a batch submission answers each transaction in order, and a bad batch is a 400', async () => {
  const api = await startApi()
  try {
    const results = await api.client.submitTransactions(['aa01', 'aa02', 'aa01'])
    assert.ok('hash' in results[0]! && 'hash' in results[1]!)
    assert.equal(results[2], { error: { code: 'MEMPOOL_DUPLICATE', message: 'already in the mempool' } })
    assert.is((await rejects(api.client.submitTransactions([]))).status, 400)
    assert.is((await rejects(api.client.submitTransactions(['zz']))).status, 400)
    assert.is((await rejects(api.client.submitTransactions(Array.from({ length: 1001 }, () => 'aa')))).status, 400)
  } finally {
    await api.stop()
  }
})

test('health() returns syncing and down as answers, not errors', async () => {
  const api = await startApi()
  try {
    api.node.healthNow = { status: 'syncing' }
    assert.equal(await api.client.health(), { status: 'syncing' })
    api.node.healthNow = { status: 'down', reason: 'no peers' }
    assert.equal(await api.client.health(), { status: 'down', reason: 'no peers' })
  } finally {
    await api.stop()
  }
})

test('HTTP errors become ClientError with the server status and code', async () => {
  const api = await startApi()
  try {
    let e = await rejects(new Client({ url: api.url, token: 'wrong' }).status())
    assert.equal([e.status, e.code], [401, 'UNAUTHORIZED'])
    e = await rejects(api.client.submitTransaction('zz'))
    assert.equal([e.status, e.code], [400, 'BAD_REQUEST'])
    await api.client.submitTransaction('abcd')
    e = await rejects(api.client.submitTransaction('abcd'))
    assert.equal([e.status, e.code], [409, 'MEMPOOL_DUPLICATE'])
    e = await rejects(api.client.disconnect('unknownPeer'))
    assert.equal([e.status, e.code], [404, 'PEER_NOT_FOUND'])
    e = await rejects(api.client.unban('12D3KooWNotBanned'))
    assert.equal([e.status, e.code], [404, 'BAN_NOT_FOUND'])
    e = await rejects(api.client.ban('12D3KooWStandIn'))
    assert.equal([e.status, e.code], [400, 'CANNOT_BAN_SELF'])
    api.node.failWith = new ApiError(503, 'NOT_READY', 'starting')
    e = await rejects(api.client.status())
    assert.equal([e.status, e.code], [503, 'NOT_READY'])
  } finally {
    await api.stop()
  }
})

test('NODE_UNREACHABLE, naming the URL, when nothing listens', async () => {
  // A port that was free a moment ago: listen, note it, close.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const url = `http://127.0.0.1:${port}`
  const e = await rejects(new Client({ url, token: 't', timeoutMs: 2000 }).status())
  assert.equal([e.status, e.code], [0, 'NODE_UNREACHABLE'])
  assert.match(e.message, url)
})

test('TIMEOUT when the node accepts but never answers', async () => {
  const sockets: Socket[] = []
  const silent = createServer((socket) => void sockets.push(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`
  try {
    const e = await rejects(new Client({ url, token: 't', timeoutMs: 100 }).status())
    assert.equal([e.status, e.code], [0, 'TIMEOUT'])
  } finally {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  }
})

test.run()
