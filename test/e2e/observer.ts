// A listener on the network: a plain js-libp2p node (no p2pnode code) subscribed to an entity's
// topics, keeping every message it sees, so a test can check what validators actually sent.

import '../../packages/node/src/polyfill.ts'
import { gossipsub, type GossipSub } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Message } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { type Libp2p, createLibp2p } from 'libp2p'

export class Observer {
  readonly messages = new Map<string, Uint8Array[]>()

  private constructor(readonly node: Libp2p<{ identify: unknown; pubsub: GossipSub }>) {}

  static async start(topics: string[], dial: string[]): Promise<Observer> {
    const node = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: {
        identify: identify(),
        pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign', allowPublishToZeroTopicPeers: true }) as (components: any) => GossipSub,
      },
    })
    const observer = new Observer(node)
    for (const topic of topics) {
      observer.messages.set(topic, [])
      node.services.pubsub.subscribe(topic)
    }
    node.services.pubsub.addEventListener('message', (event: CustomEvent<Message>) => {
      observer.messages.get(event.detail.topic)?.push(event.detail.data)
    })
    for (const address of dial) await node.dial(multiaddr(address))
    return observer
  }

  async stop(): Promise<void> {
    await this.node.stop()
  }
}
