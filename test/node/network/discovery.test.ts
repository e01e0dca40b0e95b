import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Network } from '../../../packages/node/src/index.ts'
import { connectedTo, failure, removeHomes, startNode, stopAll, waitFor } from './helpers.ts'

const NODES = 6
const MIN_PEERS = 3
const DISCOVERY_DEADLINE_MS = 15_000

test('nodes that know only node 0 find at least 3 others through the DHT', async () => {
  const nodes: Network[] = []
  try {
    nodes.push(await startNode({ minConnections: NODES - 1 }))
    const root = nodes[0]!.addresses()[0]!
    const started = Date.now()
    nodes.push(...(await Promise.all(Array.from({ length: NODES - 1 }, () => startNode({ bootstrap: [root], minConnections: NODES - 1 })))))
    const elapsed = await waitFor(
      `every node connected to ${MIN_PEERS}+ others`,
      () => nodes.every((node) => node.peers().length >= MIN_PEERS),
      DISCOVERY_DEADLINE_MS,
    )
    // nobody but node 0 was given an address: the rest came from the DHT
    for (const [i, node] of nodes.entries()) {
      assert.ok(node.peers().length >= MIN_PEERS, `node ${i} has ${node.peers().length} peers`)
    }
    const nonRootLinks = nodes.slice(1).flatMap((a, i) => nodes.slice(i + 2).filter((b) => connectedTo(a, b)))
    assert.ok(nonRootLinks.length > 0, 'some links bypass node 0')
    process.stdout.write(`\n    6-node DHT discovery: ${elapsed} ms after start (${Date.now() - started} ms total)\n`)
  } finally {
    await stopAll(nodes)
    await removeHomes()
  }
})

test('two networks on one machine never join each other', async () => {
  const nodes: Network[] = []
  try {
    const alpha0 = await startNode({ network: 'alpha', minConnections: 2 })
    nodes.push(alpha0)
    const root = alpha0.addresses()[0]!
    const alpha1 = await startNode({ network: 'alpha', bootstrap: [root], minConnections: 2 })
    // a misconfigured beta node whose bootstrap is an alpha node
    const beta0 = await startNode({ network: 'beta', bootstrap: [root], minConnections: 2 })
    nodes.push(alpha1, beta0)
    const alphaTopic = alpha0.topic('aa', 'commit')
    const betaTopic = beta0.topic('aa', 'commit')
    for (const node of [alpha0, alpha1]) node.subscribe(alphaTopic, () => 'accept', () => {})
    beta0.subscribe(betaTopic, () => 'accept', () => {})

    await waitFor('alpha nodes connected', () => connectedTo(alpha0, alpha1) && connectedTo(alpha1, alpha0))
    await waitFor('beta refused by alpha', () => alpha0.banned().some((b) => b.peerId === beta0.peerId))
    await waitFor('beta disconnected', () => beta0.peers().length === 0 && !connectedTo(alpha0, beta0))
    // beta refuses alpha too (it saw alpha's protocols); even with that lifted, alpha refuses beta
    assert.is(await failure(beta0.connect(root)), 'NETWORK_PEER_BANNED')
    assert.ok(beta0.unban(alpha0.peerId))
    // Noise negotiates the muxer inside its handshake, so the dialler may briefly think it is
    // connected; alpha drops the connection before it is ever a peer of alpha's.
    await failure(beta0.connect(root))
    assert.is(connectedTo(alpha0, beta0), false, 'alpha refuses the redial')
    await waitFor('redial dropped', () => beta0.peers().length === 0)
    assert.is(connectedTo(alpha0, beta0), false, 'no alpha-beta connection')
    assert.is(alpha0.topicPeers(alphaTopic).includes(beta0.peerId), false, 'beta is no alpha topic peer')
    assert.equal(beta0.topicPeers(betaTopic), [], 'beta topic has no peers')
  } finally {
    await stopAll(nodes)
    await removeHomes()
  }
})

test.run()
