// A js-libp2p node assembled straight from the libraries (TCP, Noise, Yamux, identify,
// gossipsub with StrictNoSign), with no p2pnode code: what anyone could run against a p2pnode
// network, honest or not. It listens nowhere, so it is connected only to the nodes it dials;
// `only` narrows that further with a gater, so a test knows exactly which path a message took.

// Node 20 lacks Promise.withResolvers, which libp2p 2.x calls: a runtime shim, not protocol code.
import '../../packages/node/src/polyfill.ts'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Message, PeerId } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'

export const GOSSIP_KINDS = ['txs', 'proposal', 'vote', 'commit'] as const
export type GossipKind = (typeof GOSSIP_KINDS)[number]

/** The documented topic format, written out here rather than imported from the node. */
export function topicOf(network: string, entityHex: string, kind: GossipKind): string {
  return `/p2pnode/${network}/${entityHex}/${kind}/1`
}

export interface Received {
  topic: string
  data: Uint8Array
}

export interface PlainPeerOptions {
  /** Peer ids this node may be connected to; any other dial either way is refused. */
  only?: string[]
}

type PlainLibp2p = Libp2p<{ identify: unknown; pubsub: GossipSub }>

export class PlainPeer {
  /** Every gossip message delivered on a subscribed topic, in arrival order. */
  readonly received: Received[] = []

  private constructor(readonly libp2p: PlainLibp2p) {
    libp2p.services.pubsub.addEventListener('message', (event: CustomEvent<Message>) => {
      this.received.push({ topic: event.detail.topic, data: event.detail.data })
    })
  }

  static async start(options: PlainPeerOptions = {}): Promise<PlainPeer> {
    const only = options.only
    const refused = (peerId: PeerId): boolean => only !== undefined && !only.includes(peerId.toString())
    const libp2p = await createLibp2p({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: async (peerId) => refused(peerId),
        denyInboundEncryptedConnection: async (peerId) => refused(peerId),
        denyOutboundEncryptedConnection: async (peerId) => refused(peerId),
      },
      services: {
        identify: identify(),
        pubsub: gossipsub({ globalSignaturePolicy: 'StrictNoSign' }) as (components: any) => GossipSub,
      },
    })
    return new PlainPeer(libp2p)
  }

  get id(): string {
    return this.libp2p.peerId.toString()
  }

  async dial(address: string): Promise<void> {
    await this.libp2p.dial(multiaddr(address))
  }

  subscribe(topics: readonly string[]): void {
    for (const topic of topics) this.libp2p.services.pubsub.subscribe(topic)
  }

  /** Peers this node knows to be subscribed to `topic`. */
  subscribers(topic: string): string[] {
    return this.libp2p.services.pubsub.getSubscribers(topic).map((id) => id.toString())
  }

  /** Ids of the peers with an open connection. */
  connections(): string[] {
    return [...new Set(this.libp2p.getConnections().map((c) => c.remotePeer.toString()))]
  }

  /** Publishes to every subscribed peer (flood publish); the number reached, 0 when none would take it. */
  async publish(topic: string, data: Uint8Array): Promise<number> {
    try {
      return (await this.libp2p.services.pubsub.publish(topic, data)).recipients.length
    } catch {
      // no subscribed peer left (a ban hung up on us): nothing was sent
      return 0
    }
  }

  async stop(): Promise<void> {
    await this.libp2p.stop()
  }
}
