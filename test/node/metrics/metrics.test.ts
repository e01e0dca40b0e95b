import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NodeMetrics } from '../../../packages/node/src/metrics/metrics.ts'
import { createMetricsServer } from '../../../packages/node/src/metrics/server.ts'

/** The value of the series `name` with exactly `labels` (in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z0-9_:]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null || m[1] !== name) continue
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    const same = Object.keys(got).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => got[k] === v)
    if (same) return Number(m[3])
  }
  return undefined
}

test('/metrics exposes the p2pnode_ series after observations, with process metrics', async () => {
  const metrics = new NodeMetrics({ labels: { node: 'v0' } })
  metrics.peers.set(3)
  const root = metrics.forEntity('root')
  const shop = metrics.forEntity('shop')
  root.gossipMessage('vote', 'accept')
  root.gossipMessage('vote', 'accept')
  root.gossipMessage('txs', 'reject')
  shop.gossipMessage('vote', 'accept')
  root.blockCommitted({ height: 42, intervalSeconds: 0.12, latencySeconds: 0.2, rounds: 1 })
  shop.blockCommitted({ height: 7 })
  root.mempool(17, 4096)
  root.setSyncing(true)
  for (let i = 0; i < 5; i++) root.syncBlockApplied()
  metrics.apiRequest('/status', 'GET', 200, 0.002)

  const server = createMetricsServer({ registry: metrics.registry, host: '127.0.0.1', port: 0 })
  const { url } = await server.start()
  try {
    const r = await fetch(url)
    assert.is(r.status, 200)
    assert.match(r.headers.get('content-type') ?? '', 'text/plain')
    const text = await r.text()
    const expected: Array<[string, Record<string, string>, number]> = [
      ['p2pnode_network_peers', {}, 3],
      ['p2pnode_gossip_messages_total', { entity: 'root', topic: 'vote', verdict: 'accept' }, 2],
      ['p2pnode_gossip_messages_total', { entity: 'root', topic: 'txs', verdict: 'reject' }, 1],
      ['p2pnode_gossip_messages_total', { entity: 'shop', topic: 'vote', verdict: 'accept' }, 1],
      ['p2pnode_chain_height', { entity: 'root' }, 42],
      ['p2pnode_chain_height', { entity: 'shop' }, 7],
      ['p2pnode_chain_block_interval_seconds_bucket', { entity: 'root', le: '0.15' }, 1],
      ['p2pnode_chain_block_interval_seconds_bucket', { entity: 'root', le: '0.1' }, 0],
      ['p2pnode_consensus_commit_latency_seconds_count', { entity: 'root' }, 1],
      ['p2pnode_consensus_rounds_per_height_sum', { entity: 'root' }, 1],
      ['p2pnode_mempool_txs', { entity: 'root' }, 17],
      ['p2pnode_mempool_bytes', { entity: 'root' }, 4096],
      ['p2pnode_sync_active', { entity: 'root' }, 1],
      ['p2pnode_sync_active', { entity: 'shop' }, 0],
      ['p2pnode_sync_blocks_applied_total', { entity: 'root' }, 5],
      ['p2pnode_api_requests_total', { route: '/status', method: 'GET', status: '200' }, 1],
      ['p2pnode_api_request_duration_seconds_count', { route: '/status', method: 'GET' }, 1],
    ]
    for (const [name, labels, value] of expected) {
      assert.is(sample(text, name, { ...labels, node: 'v0' }), value, `${name} ${JSON.stringify(labels)}`)
    }
    assert.ok(text.includes('process_cpu_seconds_total'), 'process metrics')
    assert.ok(text.includes('nodejs_eventloop_lag_seconds'), 'event loop metrics')
    const utilization = sample(text, 'p2pnode_event_loop_utilization', { node: 'v0' })
    assert.ok(utilization !== undefined && utilization >= 0 && utilization <= 1, `event loop utilization ${utilization}`)
    const other = await fetch(url.replace('/metrics', '/other'))
    assert.is(other.status, 404)
    await other.body?.cancel()
  } finally {
    await server.stop()
  }
})

test('a block with no predecessor or proposal records only the height', async () => {
  const metrics = new NodeMetrics({ defaultMetrics: false })
  metrics.forEntity('root').blockCommitted({ height: 1 })
  const text = await metrics.text()
  assert.is(sample(text, 'p2pnode_chain_height', { entity: 'root' }), 1)
  assert.is(sample(text, 'p2pnode_chain_block_interval_seconds_count', { entity: 'root' }) ?? 0, 0)
  assert.not.ok(text.includes('process_cpu_seconds_total'), 'default metrics off')
})

test('two NodeMetrics in one process keep separate registries', async () => {
  const a = new NodeMetrics({ defaultMetrics: false })
  const b = new NodeMetrics({ defaultMetrics: false })
  a.forEntity('root').blockCommitted({ height: 5 })
  b.forEntity('root').blockCommitted({ height: 9 })
  assert.is(sample(await a.text(), 'p2pnode_chain_height', { entity: 'root' }), 5)
  assert.is(sample(await b.text(), 'p2pnode_chain_height', { entity: 'root' }), 9)
})

test('stop() returns while a scrape connection is still open', async () => {
  const metrics = new NodeMetrics({ defaultMetrics: false })
  const server = createMetricsServer({ registry: metrics.registry, host: '127.0.0.1', port: 0 })
  const { url } = await server.start()
  const r = await fetch(url, { headers: { connection: 'keep-alive' } })
  await r.text()
  await server.stop()
  let refused = false
  await fetch(url).catch(() => (refused = true))
  assert.ok(refused, 'nothing listens after stop')
})

test.run()
