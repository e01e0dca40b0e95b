import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Network } from '../../../packages/node/src/index.ts'
import { connectedTo, removeHomes, startNode, stopAll, tempHome, waitFor } from './helpers.ts'

test('a restarted node keeps its peer id and redials a peer it knew, without bootstrap', async () => {
  let known: Network | undefined
  let node: Network | undefined
  try {
    known = await startNode()
    const home = await tempHome('restart')
    node = await startNode({ dataDir: home, minConnections: 1 })
    const firstId = node.peerId
    await node.connect(known.addresses()[0]!)
    const k = known
    await waitFor('identify stored the peer', () => connectedTo(k, node!) && node!.peers()[0]?.agent !== undefined)
    await node.stop()
    await waitFor('known node saw it leave', () => k.peers().length === 0)

    node = await startNode({ dataDir: home, minConnections: 1, bootstrap: [] })
    assert.is(node.peerId, firstId, 'same peer id from the same home')
    const restarted = node
    await waitFor('redialled the known peer', () => connectedTo(restarted, k))
    const row = restarted.peers().find((p) => p.peerId === k.peerId)
    assert.is(row?.direction, 'outbound', 'the restarted node dialled')
  } finally {
    await stopAll([known, node])
    await removeHomes()
  }
})

test.run()
