// A js-libp2p node assembled straight from the libraries, with no p2pnode code, joins a
// p2pnode topic: the node speaks standard protocols (TCP, Noise, Yamux, identify, gossipsub).
// The one setting it needs is StrictNoSign, because p2pnode's gossip is unsigned.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Message } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'
import type { Network } from '../../../packages/node/src/index.ts'
import { bytes, removeHomes, startNode, text, waitFor } from './helpers.ts'

test('a plain js-libp2p gossipsub node receives what a p2pnode publishes', async () => {
  let node: Network | undefined
  let plain: Libp2p<{ identify: unknown; pubsub: GossipSub }> | undefined
  try {
    node = await startNode()
    plain = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign' }) as (components: any) => GossipSub,
      },
    })
    const topic = node.topic('0c', 'commit')
    const received: string[] = []
    plain.services.pubsub.subscribe(topic)
    plain.services.pubsub.addEventListener('message', (event: CustomEvent<Message>) => {
      if (event.detail.topic === topic) received.push(text(event.detail.data))
    })
    node.subscribe(topic, () => 'accept', () => {})
    await plain.dial(multiaddr(node.addresses()[0]!))
    const n = node
    const plainId = plain.peerId.toString()
    await waitFor('plain node in the topic mesh', () => n.meshPeers(topic).includes(plainId))
    // a plain peer is not another p2pnode network: it stays connected
    assert.is(node.banned().length, 0)

    await node.publish(topic, bytes('commit-1'))
    await waitFor('plain node received the commit', () => received.length > 0)
    assert.equal(received, ['commit-1'])
    assert.ok(node.peers().some((p) => p.peerId === plainId && p.direction === 'inbound'))
  } finally {
    await plain?.stop()
    await node?.stop()
    await removeHomes()
  }
})

test.run()
