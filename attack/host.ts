// The attacker's libp2p host, assembled from public packages only (TCP, Noise, Yamux, identify,
// optionally gossipsub without signatures): what anyone could run against a p2pnode network. It
// listens nowhere and a gater keeps it to the peers it was told to attack, so the runner knows
// exactly which nodes it reached. Helpers speak the sync framing of docs/protocol.md section 8
// and open raw streams for the attacks that bypass the libraries' own encoders.

import './with-resolvers.ts'
import { gossipsub } from '@chainsafe/libp2p-gossipsub'
import type { GossipSub } from '@chainsafe/libp2p-gossipsub'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p, Message, PeerId, Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { SYNC_STATUS_OK, requestFrame, responseFrame } from './wire.ts'

/** Larger than any honest p2pnode message, so the attacker hears whatever is sent. */
const MAX_GOSSIP_READ = 16 * 1024 * 1024
const SYNC_MAX_RESPONSE = 20 * 1024 * 1024

export interface HostOptions {
  /** Multiaddrs with /p2p/<id> of the nodes to attack; nothing else may connect either way. */
  targets: string[]
  /** Run gossipsub (publish, listen); off when the attack writes gossipsub frames itself. */
  gossip: boolean
}

type Services = { identify: unknown; pubsub?: GossipSub }

export class Host {
  private readonly listeners: Array<(topic: string, data: Uint8Array) => void> = []

  private constructor(
    readonly libp2p: Libp2p<Services>,
    readonly targets: Array<{ addr: string; peerId: string }>,
  ) {
    libp2p.services.pubsub?.addEventListener('message', (event: CustomEvent<Message>) => {
      for (const listen of this.listeners) listen(event.detail.topic, event.detail.data)
    })
  }

  static async start(o: HostOptions): Promise<Host> {
    const targets = o.targets.map((addr) => ({ addr, peerId: multiaddr(addr).getPeerId()! }))
    const allowed = new Set(targets.map((t) => t.peerId))
    const refused = async (peerId: PeerId): Promise<boolean> => !allowed.has(peerId.toString())
    const libp2p = await createLibp2p<Services>({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: { denyDialPeer: refused, denyInboundEncryptedConnection: refused, denyOutboundEncryptedConnection: refused },
      services: {
        identify: identify(),
        ...(o.gossip
          ? {
              pubsub: gossipsub({
                globalSignaturePolicy: 'StrictNoSign',
                allowPublishToZeroTopicPeers: true,
                ignoreDuplicatePublishError: true,
                emitSelf: false,
                maxInboundDataLength: MAX_GOSSIP_READ,
              }) as (components: any) => GossipSub,
            }
          : {}),
      },
    })
    return new Host(libp2p, targets)
  }

  get id(): string {
    return this.libp2p.peerId.toString()
  }

  /** Dials every target; resolves with the ones that answered. */
  async dialAll(): Promise<string[]> {
    const results = await Promise.allSettled(this.targets.map((t) => this.libp2p.dial(multiaddr(t.addr), { signal: AbortSignal.timeout(10_000) })))
    return this.targets.filter((_, i) => results[i]!.status === 'fulfilled').map((t) => t.peerId)
  }

  connected(): string[] {
    return [...new Set(this.libp2p.getConnections().map((c) => c.remotePeer.toString()))]
  }

  get pubsub(): GossipSub {
    const pubsub = this.libp2p.services.pubsub
    if (!pubsub) throw new Error('this host runs no gossipsub')
    return pubsub
  }

  subscribe(topics: readonly string[]): void {
    for (const t of topics) this.pubsub.subscribe(t)
  }

  onMessage(listen: (topic: string, data: Uint8Array) => void): void {
    this.listeners.push(listen)
  }

  /** Target peers this host sees subscribed to `topic`. */
  subscribers(topic: string): string[] {
    return this.pubsub.getSubscribers(topic).map((id) => id.toString())
  }

  /** Publishes to every subscribed target (flood publish); the number reached, 0 when none. */
  async publish(topicName: string, data: Uint8Array): Promise<number> {
    try {
      return (await this.pubsub.publish(topicName, data)).recipients.length
    } catch {
      return 0 // nobody subscribed any more (a ban hung up on us)
    }
  }

  /** Protocols a target announced through identify. */
  async protocolsOf(peerId: string): Promise<string[]> {
    const peer = this.libp2p.getPeers().find((p) => p.toString() === peerId)
    if (!peer) return []
    try {
      return (await this.libp2p.peerStore.get(peer)).protocols
    } catch {
      return []
    }
  }

  peer(peerId: string): PeerId | undefined {
    return this.libp2p.getPeers().find((p) => p.toString() === peerId)
  }

  /** Opens a stream to a connected target. */
  async open(peerId: string, protocol: string, timeoutMs = 5_000): Promise<Stream> {
    const peer = this.peer(peerId)
    if (!peer) throw new Error(`not connected to ${peerId}`)
    return this.libp2p.dialProtocol(peer, protocol, { signal: AbortSignal.timeout(timeoutMs) })
  }

  /** One sync request (docs/protocol.md section 8); the ok body, or throws. */
  async syncRequest(peerId: string, protocol: string, body: Uint8Array, timeoutMs = 5_000): Promise<Uint8Array> {
    const stream = await this.open(peerId, protocol, timeoutMs)
    const timer = setTimeout(() => stream.abort(new Error('sync request timed out')), timeoutMs)
    try {
      void stream.sink([requestFrame(body)]).catch(() => {})
      const reader = new Reader(stream)
      const [status] = await reader.read(1)
      const length = new DataView((await reader.read(4)).buffer).getUint32(0)
      if (length > SYNC_MAX_RESPONSE) throw new Error(`response of ${length} bytes`)
      const answer = await reader.read(length)
      if (status !== SYNC_STATUS_OK) throw new Error(`sync error: ${Buffer.from(answer).toString()}`)
      return answer
    } finally {
      clearTimeout(timer)
      stream.abort(new Error('done'))
    }
  }

  /**
   * Serves the sync protocol with `answer`, which sees each request body and returns the ok body
   * (when it likes: a liar may take its time). Called for every request of every target.
   */
  async serveSync(protocol: string, answer: (body: Uint8Array, from: string) => Promise<Uint8Array>): Promise<void> {
    await this.libp2p.handle(
      protocol,
      ({ stream, connection }) => {
        void (async () => {
          const reader = new Reader(stream)
          const length = new DataView((await reader.read(4)).buffer).getUint32(0)
          const body = await reader.read(Math.min(length, 64 * 1024))
          const reply = await answer(body, connection.remotePeer.toString())
          await stream.sink([responseFrame(SYNC_STATUS_OK, reply)])
          await stream.close()
        })().catch(() => stream.abort(new Error('sync serve failed')))
      },
      { maxInboundStreams: 256, runOnLimitedConnection: false },
    )
  }

  async stop(): Promise<void> {
    await this.libp2p.stop()
  }
}

/** Reads exact byte counts from a stream, across chunks. */
class Reader {
  private readonly source: AsyncIterator<{ subarray(): Uint8Array }>
  private buffered = new Uint8Array(0)

  constructor(stream: Stream) {
    this.source = stream.source[Symbol.asyncIterator]()
  }

  async read(bytes: number): Promise<Uint8Array> {
    while (this.buffered.length < bytes) {
      const next = await this.source.next()
      if (next.done) throw new Error('stream ended early')
      this.buffered = Buffer.concat([this.buffered, next.value.subarray()])
    }
    const out = new Uint8Array(this.buffered.subarray(0, bytes)) // a copy, its own buffer from offset 0
    this.buffered = this.buffered.subarray(bytes)
    return out
  }
}
