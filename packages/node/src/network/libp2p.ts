// Assembles the libp2p node from the network config: TCP + Noise + Yamux, identify, ping,
// kad-dht (server mode unless dhtServer is false) under this network's protocol id, bootstrap and (optionally) mDNS
// discovery, and gossipsub without signatures and with peer scoring. The peer store lives in
// the given datastore (peer-datastore.ts), so a restarted node still knows its peers.

// libp2p 2.x needs Promise.withResolvers (Node 22+); load the polyfill whatever imports this
import '../polyfill.ts'
import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { identify } from '@libp2p/identify'
import type { Identify } from '@libp2p/identify'
import type { ConnectionGater, PeerInfo, PrivateKey } from '@libp2p/interface'
import {
  kadDHT,
  passthroughMapper,
  removePrivateAddressesMapper,
  removePublicAddressesMapper,
} from '@libp2p/kad-dht'
import type { KadDHT } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import type { Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import type { Datastore } from 'interface-datastore'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import type { Registry } from 'prom-client'
import { createLibp2p } from 'libp2p'
import type { Libp2p, Libp2pOptions } from 'libp2p'
import type { DhtAddresses, NetworkConfig } from './config.ts'
import { guardedGossipsub } from './guarded-gossipsub.ts'
import type { GossipAbuse, GuardedGossipSub } from './guarded-gossipsub.ts'
import { dhtProtocol } from './protocols.ts'
import { SCORE_THRESHOLDS, scoreParams } from './scoring.ts'

export const AGENT_NAME = 'p2pnode'
export const AGENT_VERSION = '0.1.0'
/** Ceiling on one gossip message (a transaction batch, a proposal with its block). */
export const MAX_GOSSIP_MESSAGE_BYTES = 10 * 1024 * 1024
/** kad-dht's own self-query runs every 5 minutes; the dialer covers the gaps (see dialer.ts). */
export const DHT_QUERY_SELF_INTERVAL_MS = 60_000
export const BOOTSTRAP_DELAY_MS = 100
/**
 * kad-dht pings a peer before it enters the routing table, waiting at least this long (its own
 * floor is 5 s). The peer has just connected and identified, so it is alive; but when many nodes
 * start at once on a small machine its answer can take longer than 5 s, and a failed check keeps
 * the peer out of the table for the life of the connection (the dialer then identifies it
 * again, dialer.ts).
 */
export const DHT_PING_NEW_CONTACT_MIN_TIMEOUT_MS = 15_000
/**
 * How long identify waits for the peer's answer (libp2p's default is 5 s). Identify runs once per
 * connection, and a connection it fails on stays unknown to kad-dht for its life: its peer never
 * enters the routing table, so the DHT never tells others of it. When twenty nodes start on two
 * cores the bootstrap node answered some after more than 5 s, and those nodes kept it as their
 * only peer while the rest found each other.
 */
export const IDENTIFY_TIMEOUT_MS = 15_000
/**
 * How often libp2p's connection monitor pings each connection, for the latency shown in peers()
 * (nothing else: dead peers show up as closed connections, and yamux keeps idle ones alive).
 * Each ping is a new stream, about 1.5 ms of CPU at each end: every 10 s with 19 peers it was
 * the largest idle cost of the network layer in a 20-node devnet.
 */
export const PING_INTERVAL_MS = 30_000
/**
 * libp2p's connection monitor pings every connection and, by default, aborts a connection whose
 * ping fails. A ping shares the connection with gossip, so under a burst it queues behind
 * megabytes of messages: in a 6-node test (3,000 × 16 KiB at once) pings timed out or piled up
 * (TooManyOutboundProtocolStreams) and healthy connections were cut. Pings here only measure
 * latency; dead peers show up as closed TCP connections and failed requests instead.
 */
export const PING_TIMEOUT_MIN_MS = 20_000
/**
 * Ping streams a connection may have open at once, ours to the peer (the ping service allows 1).
 * Two users ping: the connection monitor every PING_INTERVAL_MS, and kad-dht, which pings a new
 * contact before it enters the routing table and never tries again on that connection. With one
 * stream, a verification that met a monitor ping still running (slow under load) failed at once
 * (TooManyOutboundProtocolStreams): the peer stayed out of the routing table, and a node whose
 * only peer was its bootstrap node had an empty table, so every DHT lookup waited for a peer
 * until it timed out and the node never found anyone else. A peer's inbound limit (2, the ping
 * service's default) fits both.
 */
export const PING_MAX_OUTBOUND_STREAMS = 2

// a type alias, not an interface: libp2p's ServiceMap constraint needs an index signature
export type Services = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GuardedGossipSub
}

export type P2p = Libp2p<Services>

export interface Libp2pParts {
  config: NetworkConfig
  privateKey: PrivateKey
  /** LevelDB with the peer records in memory (peer-datastore.ts). */
  datastore: Datastore
  gater: ConnectionGater
  /** Application penalty points of a peer (subtracted from its gossip score). */
  appPenalty: (peerId: string) => number
  /** Where gossip abuse (foreign topics, malformed RPCs) is charged; see guarded-gossipsub.ts. */
  onGossipAbuse: GossipAbuse
  /** The DHT address filter in force (`config.dhtAddresses` with 'auto' resolved, addresses.ts). */
  dhtAddresses: Exclude<DhtAddresses, 'auto'>
  /** The node's Prometheus registry: libp2p's own metrics (connections, streams, DHT) join it. */
  metricsRegistry?: Registry
}

const MAPPERS: Record<Exclude<DhtAddresses, 'auto'>, (info: PeerInfo) => PeerInfo> = {
  all: passthroughMapper,
  private: removePublicAddressesMapper,
  public: removePrivateAddressesMapper,
}

/** Gossip message id: sha256 of the payload, as gossipsub computes it for unsigned messages. */
export function messageId(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

/** Fast id for duplicate detection before decoding; same hash, base64 as the cache key. */
function fastMessageId(message: { data?: Uint8Array }): string {
  return createHash('sha256').update(message.data ?? new Uint8Array(0)).digest('base64')
}

export async function buildLibp2p(parts: Libp2pParts): Promise<P2p> {
  const { config } = parts
  const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (config.bootstrap.length > 0) {
    peerDiscovery.push(bootstrap({ list: config.bootstrap, timeout: BOOTSTRAP_DELAY_MS }))
  }
  if (config.mdns) peerDiscovery.push(mdns())

  return createLibp2p<Services>({
    privateKey: parts.privateKey,
    datastore: parts.datastore,
    nodeInfo: { name: AGENT_NAME, version: AGENT_VERSION, userAgent: `${AGENT_NAME}/${AGENT_VERSION}` },
    addresses: { listen: config.listen, announce: config.announce },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: parts.gater,
    // process metrics are the node's (metrics/metrics.ts); libp2p adds only its own
    ...(parts.metricsRegistry
      ? { metrics: prometheusMetrics({ registry: parts.metricsRegistry, collectDefaultMetrics: false, preserveExistingMetrics: true }) }
      : {}),
    connectionManager: {
      maxConnections: config.maxConnections,
      inboundConnectionThreshold: config.inboundConnectionsPerSecond,
    },
    connectionMonitor: {
      pingInterval: PING_INTERVAL_MS,
      pingTimeout: { minTimeout: PING_TIMEOUT_MIN_MS },
      abortConnectionOnPingFailure: false,
    },
    peerDiscovery,
    services: {
      identify: identify({ timeout: IDENTIFY_TIMEOUT_MS }),
      ping: ping({ maxOutboundStreams: PING_MAX_OUTBOUND_STREAMS }),
      dht: kadDHT({
        protocol: dhtProtocol(config.network),
        clientMode: !config.dhtServer,
        peerInfoMapper: MAPPERS[parts.dhtAddresses],
        querySelfInterval: DHT_QUERY_SELF_INTERVAL_MS,
        pingNewContactTimeout: { minTimeout: DHT_PING_NEW_CONTACT_MIN_TIMEOUT_MS },
      }),
      // gossipsub with the topic allow-list and the RPC limits (guarded-gossipsub.ts)
      pubsub: guardedGossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (message) => messageId(message.data),
        fastMsgIdFn: fastMessageId,
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        asyncValidation: true,
        emitSelf: false,
        doPX: false,
        maxInboundDataLength: MAX_GOSSIP_MESSAGE_BYTES,
        scoreParams: scoreParams(config.ipColocationLimit, parts.appPenalty),
        scoreThresholds: SCORE_THRESHOLDS,
      }, { network: config.network, onAbuse: parts.onGossipAbuse }),
    },
  })
}
