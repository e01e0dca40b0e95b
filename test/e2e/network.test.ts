// A network of 4 validators and 2 followers in separate processes over TCP on 127.0.0.1: every
// node but validator 0 is given only validator 0 as bootstrap; the DHT does the rest. Then
// transactions submitted round-robin to all six are each committed exactly once and every node
// agrees on blocks, state roots and key/value reads. Checked only through the API.

import { request } from 'node:http'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { AccountSigner, TxKind, encodeKvSet, encodeTx, sha256, toHex, utf8 } from '../../packages/core/src/index.ts'
import { Cluster, waitFor } from './cluster.ts'

const net = suite<{ cluster: Cluster }>('network of 6')

/**
 * Announces a body of `bytes` and sends only its first bytes: a node must refuse it from the
 * announced length alone (413) rather than read megabytes first. Resolves with the status.
 */
function oversizedPost(url: string, headers: Record<string, string>, bytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': bytes } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
      req.destroy()
    })
    req.on('error', reject)
    req.write('{"tx": "abab')
  })
}

net.before(async (ctx) => {
  ctx.cluster = await Cluster.start({ validators: 4, followers: 2, config: { metrics: { enabled: true } } })
})

net.after(async (ctx) => {
  await ctx.cluster?.stop()
})

net('every node finds at least 3 others through the DHT within 15 s', async ({ cluster }) => {
  const started = Date.now()
  await waitFor(
    'every node connected to 3 others',
    async () => (await Promise.all(cluster.nodes.map(async (n) => (await n.client.peers()).length))).every((p) => p >= 3),
    15_000,
  )
  const peers = await Promise.all(cluster.nodes.map(async (n) => (await n.client.peers()).length))
  process.stdout.write(`  discovery: ${Date.now() - started} ms after the API was up; peers per node ${peers.join(' ')}\n`)
  // nodes 2..5 were only given node 0: whatever else they know, they learned
  for (const [i, n] of cluster.nodes.entries()) assert.ok(peers[i]! >= 3, `${n.name} has ${peers[i]} peers`)
})

net('300 transactions submitted round-robin to all six are committed exactly once', async ({ cluster }) => {
  const accounts = Array.from({ length: 30 }, (_, i) => new AccountSigner(sha256(utf8(`e2e-account-${i}`))))
  const status = await cluster.nodes[0]!.client.status()
  const entity = Buffer.from(status.entity, 'hex')
  const hashes: string[] = []
  const submissions: Promise<unknown>[] = []
  let n = 0
  for (let nonce = 0; nonce < 10; nonce++) {
    for (const [a, account] of accounts.entries()) {
      const tx = encodeTx(account.signTransaction({ network: status.network, entity, nonce, kind: TxKind.KvSet, payload: encodeKvSet(`k${a}`, utf8(`v${nonce}`)) }))
      const node = cluster.nodes[n++ % cluster.nodes.length]!
      hashes.push(toHex(sha256(tx)))
      submissions.push(node.client.submitTransaction(toHex(tx)))
    }
    // nonces of one account go out in order: let this round land before the next
    await Promise.all(submissions.splice(0))
  }
  // exactly once: walk every block as it comes and count
  const client = cluster.nodes[0]!.client
  const seen = new Map<string, number>()
  let walked = 0
  let head = 0
  await waitFor('all 300 committed', async () => {
    head = (await client.status()).height
    for (let from = walked + 1; from <= head; from += 100) {
      for (const block of await client.blocks(from, Math.min(head, from + 99))) for (const tx of block.txs) seen.set(tx.hash, (seen.get(tx.hash) ?? 0) + 1)
    }
    walked = head
    return hashes.every((h) => seen.has(h))
  }, 60_000, 250)
  for (const h of hashes) assert.is(seen.get(h), 1, `tx ${h.slice(0, 12)} committed ${seen.get(h) ?? 0} times`)
  assert.is(seen.size, 300)

  // every node at a common height: same block hash and state root; same key/value reads
  await waitFor('all nodes at the head', async () => Math.min(...(await cluster.heights())) >= head)
  const views = await Promise.all(cluster.nodes.map((n) => n.client.block(head)))
  for (const [i, v] of views.entries()) {
    assert.is(v!.hash, views[0]!.hash, `${cluster.nodes[i]!.name} block ${head}`)
    assert.is(v!.stateRoot, views[0]!.stateRoot, `${cluster.nodes[i]!.name} state root at ${head}`)
  }
  for (const [a, account] of accounts.entries()) {
    const key = `${toHex(account.address)}/k${a}`
    const reads = await Promise.all(cluster.nodes.map((n) => n.client.kvGet(key)))
    for (const [i, r] of reads.entries()) assert.is(r.text, 'v9', `${cluster.nodes[i]!.name} reads ${key}`)
  }
})

net('the API refuses a missing or wrong token, a malformed body and an oversized one, and stays up', async ({ cluster }) => {
  const node = cluster.nodes[1]!
  const status = (path: string, init: RequestInit = {}) => fetch(`${node.apiUrl}${path}`, init).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: { code: string } } }))
  const auth = { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' }
  assert.is((await status('/status')).status, 401)
  assert.is((await status('/status', { headers: { authorization: 'Bearer wrong' } })).status, 401)
  const malformed = await status('/transactions', { method: 'POST', headers: auth, body: '{"tx": ' })
  assert.is(malformed.status, 400)
  assert.ok(malformed.body.error?.code, 'a JSON error with a code')
  const badHex = await status('/transactions', { method: 'POST', headers: auth, body: JSON.stringify({ tx: 'zz' }) })
  assert.is(badHex.status, 400)
  const garbage = await status('/transactions', { method: 'POST', headers: auth, body: JSON.stringify({ tx: 'c0' }) })
  assert.is(garbage.status, 400, 'bytes that are not a transaction')
  assert.is(await oversizedPost(`${node.apiUrl}/transactions`, auth, 4 * 1024 * 1024), 413)
  assert.is((await status('/status', { headers: auth })).status, 200, 'still up')
  const before = (await node.client.status()).height
  await waitFor('still committing', async () => (await node.client.status()).height > before)
})

net("Prometheus metrics: the node's own and libp2p's, on their own port", async ({ cluster }) => {
  const node = cluster.nodes[4]!
  const text = await (await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`)).text()
  const height = Number(text.match(/^p2pnode_chain_height\{entity="root"\} (\d+)/m)?.[1])
  assert.ok(height > 0, 'p2pnode_chain_height')
  assert.match(text, /^p2pnode_network_peers [1-9]/m)
  assert.match(text, /^p2pnode_gossip_messages_total\{entity="root",topic="vote",verdict="accept"\} [1-9]/m)
  assert.match(text, /^libp2p_/m, "libp2p's own metrics")
  assert.match(text, /^nodejs_eventloop_lag_seconds/m)
})

net.run()
