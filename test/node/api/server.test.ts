import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ApiError, MAX_BAN_MINUTES, MAX_BAN_REASON_CHARS } from '../../../packages/node/src/api/node-api.ts'
import { NodeMetrics } from '../../../packages/node/src/metrics/metrics.ts'
import { ACCOUNT } from './stand-in.ts'
import { TOKEN, errorOf, startApi } from './helpers.ts'

async function assertServing(api: Awaited<ReturnType<typeof startApi>>): Promise<void> {
  const r = await api.call('GET', '/status')
  assert.is(r.status, 200, 'server still serves after the bad request')
  await r.body?.cancel()
}

test('/health answers without a token, 200 / 206 / 503 by node health', async () => {
  const api = await startApi()
  try {
    let r = await fetch(`${api.url}/health`)
    assert.is(r.status, 200)
    assert.equal(await r.json(), { status: 'ok' })
    api.node.healthNow = { status: 'syncing' }
    r = await fetch(`${api.url}/health`)
    assert.is(r.status, 206)
    assert.equal(await r.json(), { status: 'syncing' })
    api.node.healthNow = { status: 'down', reason: 'no peers' }
    r = await fetch(`${api.url}/health`)
    assert.is(r.status, 503)
    assert.equal(await r.json(), { status: 'down', reason: 'no peers' })
  } finally {
    await api.stop()
  }
})

test('401 without a token, with a wrong one, or with another scheme; on known and unknown routes', async () => {
  const api = await startApi()
  try {
    const cases: Array<[string, Record<string, string>]> = [
      ['/status', {}],
      ['/status', { authorization: 'Bearer wrong' }],
      ['/status', { authorization: `Bearer ${TOKEN}x` }],
      ['/status', { authorization: `Basic ${TOKEN}` }],
      ['/status', { authorization: 'Bearer ' }],
      ['/no-such-route', {}],
      ['/events', {}],
    ]
    for (const [path, headers] of cases) {
      const e = await errorOf(await fetch(`${api.url}${path}`, { headers }))
      assert.is(e.status, 401, `${path} ${JSON.stringify(headers)}`)
      assert.is(e.code, 'UNAUTHORIZED', `${path} ${JSON.stringify(headers)}`)
    }
    const r = await fetch(`${api.url}/status`, { headers: { authorization: `bearer ${TOKEN}` } })
    assert.is(r.status, 200, 'the scheme is case-insensitive')
    await r.body?.cancel()
  } finally {
    await api.stop()
  }
})

test('404 for an unknown route and an unknown block, in the JSON error shape', async () => {
  const api = await startApi()
  try {
    let e = await errorOf(await api.call('GET', '/no-such-route'))
    assert.equal([e.status, e.code], [404, 'NOT_FOUND'])
    e = await errorOf(await api.call('GET', '/blocks/99'))
    assert.equal([e.status, e.code], [404, 'BLOCK_NOT_FOUND'])
    e = await errorOf(await api.call('GET', `/blocks/${'ff'.repeat(32)}`))
    assert.equal([e.status, e.code], [404, 'BLOCK_NOT_FOUND'])
    await assertServing(api)
  } finally {
    await api.stop()
  }
})

test('400 for malformed JSON, bad hex, bad params and unknown fields, before the node sees them', async () => {
  const api = await startApi()
  try {
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/transactions', '{"tx": "ab"'],
      ['POST', '/transactions', '{}'],
      ['POST', '/transactions', { tx: 'zz' }],
      ['POST', '/transactions', { tx: 'abc' }],
      ['POST', '/transactions', { tx: '' }],
      ['POST', '/transactions', { tx: 'abcd', extra: 1 }],
      ['POST', '/transactions', '[]'],
      ['POST', '/transactions/unsigned', { kind: 'no.such.kind', payload: 'c0' }],
      ['POST', '/transactions/unsigned', { kind: 'kv.set', payload: 'xyz' }],
      ['POST', '/peers', { multiaddr: 'not-a-multiaddr' }],
      ['GET', '/blocks/abc', undefined],
      ['GET', '/blocks/007', undefined],
      ['GET', '/blocks?from=-1', undefined],
      ['GET', '/blocks?from=x', undefined],
      ['GET', '/blocks?from=5&to=2', undefined],
      ['GET', '/blocks', undefined],
      ['GET', '/transactions/abcd', undefined],
      ['GET', '/kv/nothex/key', undefined],
      ['GET', `/kv/${ACCOUNT}`, undefined],
      ['GET', '/kv?limit=0', undefined],
      ['DELETE', '/peers/bad-peer!', undefined],
      ['POST', '/bans', {}],
      ['POST', '/bans', { peerId: 'bad-peer!' }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', minutes: 0 }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', minutes: -5 }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', minutes: 1.5 }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', minutes: MAX_BAN_MINUTES + 1 }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', minutes: 'soon' }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', reason: '' }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', reason: 'x'.repeat(MAX_BAN_REASON_CHARS + 1) }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', reason: 'two\nlines' }],
      ['POST', '/bans', { peerId: '12D3KooWPeerA', extra: 1 }],
      ['DELETE', '/bans/bad-peer!', undefined],
    ]
    for (const [method, path, body] of cases) {
      const e = await errorOf(await api.call(method, path, body))
      assert.is(e.status, 400, `${method} ${path} ${JSON.stringify(body)}`)
      assert.is(e.code, 'BAD_REQUEST', `${method} ${path} ${JSON.stringify(body)}`)
    }
    assert.is(api.node.submitted.length, 0, 'nothing reached the node')
    assert.is(api.node.connected.length, 0, 'nothing reached the node')
    assert.is(api.node.banList.size, 0, 'nothing reached the node')
    await assertServing(api)
  } finally {
    await api.stop()
  }
})

test('413 for a body over maxBodyBytes, and the server keeps serving', async () => {
  const api = await startApi({ maxBodyBytes: 1024 })
  try {
    const e = await errorOf(await api.call('POST', '/transactions', { tx: 'ab'.repeat(1024) }))
    assert.equal([e.status, e.code], [413, 'BODY_TOO_LARGE'])
    const ok = await api.call('POST', '/transactions', { tx: 'ab'.repeat(100) })
    assert.is(ok.status, 202, 'a body under the limit passes')
    await ok.body?.cancel()
    await assertServing(api)
  } finally {
    await api.stop()
  }
})

test('ApiError from the node maps to its status and code; anything else is a bare 500', async () => {
  const api = await startApi()
  try {
    let r = await api.call('POST', '/transactions', { tx: 'abcd' })
    assert.is(r.status, 202)
    await r.body?.cancel()
    let e = await errorOf(await api.call('POST', '/transactions', { tx: 'abcd' }))
    assert.equal([e.status, e.code], [409, 'MEMPOOL_DUPLICATE'])
    e = await errorOf(await api.call('DELETE', '/peers/unknownPeer'))
    assert.equal([e.status, e.code], [404, 'PEER_NOT_FOUND'])

    api.node.failWith = new ApiError(503, 'NOT_READY', 'node is starting')
    e = await errorOf(await api.call('GET', '/status'))
    assert.equal([e.status, e.code], [503, 'NOT_READY'])
    e = await errorOf(await api.call('POST', '/transactions', { tx: 'abcdef' }))
    assert.equal([e.status, e.code], [503, 'NOT_READY'])

    // An ApiError from another copy of node-api.ts still maps, by name, status and code.
    api.node.failWith = Object.assign(new Error('sender full'), { name: 'ApiError', status: 429, code: 'MEMPOOL_SENDER_FULL' })
    e = await errorOf(await api.call('GET', '/status'))
    assert.equal([e.status, e.code], [429, 'MEMPOOL_SENDER_FULL'])

    api.node.failWith = new Error('secret internals at /home/node/db')
    r = await api.call('GET', '/status')
    const text = await r.text()
    assert.is(r.status, 500)
    assert.equal(JSON.parse(text), { error: { code: 'INTERNAL', message: 'internal error' } })
    assert.not.match(text, 'secret')
    api.node.failWith = null
    await assertServing(api)
  } finally {
    await api.stop()
  }
})

test('429 past the per-client rate, with retry-after; tokens come back with time', async () => {
  let now = 0
  const api = await startApi({ requestsPerSecond: 3, now: () => now })
  try {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const r = await api.call('GET', '/status')
      statuses.push(r.status)
      if (r.status === 429) {
        assert.is(r.headers.get('retry-after'), '1')
        assert.is((await errorOf(r)).code, 'RATE_LIMITED')
      } else await r.body?.cancel()
    }
    assert.equal(statuses, [200, 200, 200, 429, 429])
    now += 1000
    const r = await api.call('GET', '/status')
    assert.is(r.status, 200, 'a second later the bucket has refilled')
    await r.body?.cancel()
  } finally {
    await api.stop()
  }
})

test('kv reads take the key encoded or not, normalise the account, and pass prove', async () => {
  const api = await startApi()
  try {
    for (const path of [`/kv/${ACCOUNT}%2Fgreeting`, `/kv/${ACCOUNT}/greeting`, `/kv/${ACCOUNT.toUpperCase()}/greeting`]) {
      const r = await api.call('GET', path)
      assert.is(r.status, 200, path)
      const body = (await r.json()) as { key: string; text: string }
      assert.is(body.key, `${ACCOUNT}/greeting`, path)
      assert.is(body.text, 'hello', path)
      assert.equal(api.node.lastKvGet, { key: `${ACCOUNT}/greeting`, prove: false }, path)
    }
    const r = await api.call('GET', `/kv/${ACCOUNT}%2Fgreeting?prove=1`)
    assert.is(((await r.json()) as { proof: string }).proof, 'c0')
    assert.equal(api.node.lastKvGet, { key: `${ACCOUNT}/greeting`, prove: true })
  } finally {
    await api.stop()
  }
})

test('block ranges are capped at 100 blocks', async () => {
  const api = await startApi()
  try {
    let r = await api.call('GET', '/blocks?from=1&to=5000')
    assert.is(r.status, 200)
    assert.equal(api.node.lastBlocks, { from: 1, to: 100 })
    await r.body?.cancel()
    r = await api.call('GET', '/blocks?from=2')
    assert.equal(api.node.lastBlocks, { from: 2, to: 101 })
    assert.equal(((await r.json()) as { blocks: Array<{ height: number }> }).blocks.map((b) => b.height), [2, 3, 4])
  } finally {
    await api.stop()
  }
})

test('API requests are counted by route pattern and status in the node metrics', async () => {
  const metrics = new NodeMetrics({ defaultMetrics: false })
  const api = await startApi({ metrics })
  try {
    await (await api.call('GET', '/blocks/2')).body?.cancel()
    await (await api.call('GET', '/blocks/99')).body?.cancel()
    await (await fetch(`${api.url}/status`)).body?.cancel()
    const text = await metrics.text()
    assert.match(text, 'p2pnode_api_requests_total{route="/blocks/:id",method="GET",status="200"} 1')
    assert.match(text, 'p2pnode_api_requests_total{route="/blocks/:id",method="GET",status="404"} 1')
    assert.match(text, 'p2pnode_api_requests_total{route="/status",method="GET",status="401"} 1')
    assert.match(text, 'p2pnode_api_request_duration_seconds_count{route="/blocks/:id",method="GET"} 2')
  } finally {
    await api.stop()
  }
})

test('an empty token is refused at creation', async () => {
  try {
    await startApi({ token: '' })
    assert.unreachable('should have thrown')
  } catch (err) {
    assert.instance(err, TypeError)
  }
})

test.run()
