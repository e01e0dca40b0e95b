// Entity provider records in the DHT (network/providers.ts), over real libp2p nodes on 127.0.0.1:
// a host provides an entity's key through the bootstrap node; a node that knows only the
// bootstrap node finds the host (and no one else), dials it, and a withdrawn or unknown entity
// finds no host. The node-level discovery loop is in entity-host.ts; test/e2e/entity-discovery
// runs it with node processes.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Network } from '../../../packages/node/src/index.ts'
import { entityProviderKey } from '../../../packages/node/src/network/providers.ts'
import { connectedTo, removeHomes, startNode, stopAll, waitFor } from './helpers.ts'

const SHOP = 'ab'.repeat(32)
const OTHER = 'cd'.repeat(32)

test('the provider key is one per (network, entity)', async () => {
  const a = (await entityProviderKey('alpha', SHOP)).toString()
  assert.is(a, (await entityProviderKey('alpha', SHOP)).toString())
  assert.is.not(a, (await entityProviderKey('beta', SHOP)).toString())
  assert.is.not(a, (await entityProviderKey('alpha', OTHER)).toString())
})

test('a node that knows only the bootstrap node finds the host of an entity and dials it', async () => {
  const nodes: Network[] = []
  try {
    const boot = await startNode({ minConnections: 1 })
    nodes.push(boot)
    const root = boot.addresses()[0]!
    const host = await startNode({ bootstrap: [root], minConnections: 1 })
    const seeker = await startNode({ bootstrap: [root], minConnections: 1 })
    nodes.push(host, seeker)
    await waitFor('both connected to the bootstrap node', () => connectedTo(host, boot) && connectedTo(seeker, boot))
    // the bootstrap node must know them (its DHT table) before it can store or answer records
    await waitFor('the host provides its entity', async () => host.providers.provide(SHOP, { signal: AbortSignal.timeout(5_000) }).then(() => true, () => false), 20_000)
    let found: Awaited<ReturnType<Network['providers']['find']>> = []
    await waitFor('the seeker finds the host', async () => {
      found = await seeker.providers.find(SHOP, 8, { signal: AbortSignal.timeout(5_000) }).catch(() => [])
      return found.length > 0
    }, 20_000)
    assert.equal(found.map((p) => p.id.toString()), [host.peerId], 'the host, and only it')
    const wasConnected = connectedTo(seeker, host) // the lookup itself may have dialled it
    assert.is(await seeker.providers.connect(found), wasConnected ? 0 : 1, 'dialled unless already connected')
    await waitFor('the seeker is connected to the host', () => connectedTo(seeker, host))
    const none = await seeker.providers.find(OTHER, 8, { signal: AbortSignal.timeout(5_000) }).catch(() => [])
    assert.equal(none, [], 'an entity nobody hosts has no providers')
  } finally {
    await stopAll(nodes)
    await removeHomes()
  }
})

test.run()
