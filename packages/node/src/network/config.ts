// The network's configuration: one home for the fields, their defaults, the values a local
// testnet needs, and the validation that fails at start naming the bad field.

import { multiaddr } from '@multiformats/multiaddr'
import { NetworkError, NetworkErrorCode } from './errors.ts'

/** Which addresses the DHT keeps for a peer (kad-dht's peerInfoMapper); 'auto' decides by the node's own. */
export type DhtAddresses = 'auto' | 'all' | 'private' | 'public'

export interface NetworkConfig {
  /** Network name; goes into every protocol id and topic, so two networks never mix. */
  network: string
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/7400. */
  listen: string[]
  /** Multiaddrs to tell peers instead of the listen addresses (public IP behind NAT); empty: listen. */
  announce: string[]
  /** Multiaddrs with /p2p/<peer id> of the peers dialled at start (the "root" of seeds/000). */
  bootstrap: string[]
  /** Connections above this are pruned, lowest value first. */
  maxConnections: number
  /** Below this the node dials peers it knows, and asks the DHT for more when it knows none. */
  minConnections: number
  /** Inbound connections accepted per second from one IP; more are refused. */
  inboundConnectionsPerSecond: number
  /** Peers on one IP before gossipsub's IP-colocation penalty starts (raise for one-host testnets). */
  ipColocationLimit: number
  /** Discover peers on the LAN by mDNS. */
  mdns: boolean
  /** How long a banned peer stays disconnected and refused. */
  banMinutes: number
  /** Directory of the node key (`node-key`), the peer store (`peers/`) and the bans (`bans.json`). */
  dataDir: string
  /**
   * Addresses the DHT keeps: 'auto' (default: 'public' on a public node, else 'all'; see
   * addresses.ts), 'all' (loopback, LAN and public), 'private' (loopback and LAN only), 'public'
   * (kad-dht's own default; drops 127.0.0.1, so a one-host testnet never fills its routing
   * table). While 'public' is in force the node also refuses to dial non-public IPs, except
   * its bootstrap addresses.
   */
  dhtAddresses: DhtAddresses
  /**
   * Run kad-dht as a server (answer other peers' queries, store their records) or only as a
   * client. Default true: on a small network every node must serve, or discovery has no DHT.
   * A validator on a network with enough other DHT servers can turn it off (see README).
   */
  dhtServer: boolean
}

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/7400']
export const DEFAULT_MAX_CONNECTIONS = 100
export const DEFAULT_MIN_CONNECTIONS = 8
/** libp2p's own default; a one-host testnet needs more (every node dials from 127.0.0.1). */
export const DEFAULT_INBOUND_CONNECTIONS_PER_SECOND = 5
/** gossipsub's own default. */
export const DEFAULT_IP_COLOCATION_LIMIT = 10
export const DEFAULT_BAN_MINUTES = 30
export const DEFAULT_DHT_ADDRESSES: DhtAddresses = 'auto'
export const DEFAULT_DHT_SERVER = true

const NETWORK_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** What a local testnet on one machine overrides: loopback, ephemeral ports, one IP for all. */
export const LOCAL_TESTNET: Partial<NetworkConfig> = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  inboundConnectionsPerSecond: 1000,
  ipColocationLimit: 1000,
  dhtAddresses: 'private',
}

/** Every default of the network layer, once (the node's config file takes its p2p defaults here). */
export const NETWORK_DEFAULTS: Omit<NetworkConfig, 'network' | 'dataDir'> = {
  listen: DEFAULT_LISTEN,
  announce: [],
  bootstrap: [],
  maxConnections: DEFAULT_MAX_CONNECTIONS,
  minConnections: DEFAULT_MIN_CONNECTIONS,
  inboundConnectionsPerSecond: DEFAULT_INBOUND_CONNECTIONS_PER_SECOND,
  ipColocationLimit: DEFAULT_IP_COLOCATION_LIMIT,
  mdns: false,
  banMinutes: DEFAULT_BAN_MINUTES,
  dhtAddresses: DEFAULT_DHT_ADDRESSES,
  dhtServer: DEFAULT_DHT_SERVER,
}

/** Fills defaults, validates, and returns a complete config. `network` and `dataDir` are required. */
export function networkConfig(input: Partial<NetworkConfig> & Pick<NetworkConfig, 'network' | 'dataDir'>): NetworkConfig {
  const config: NetworkConfig = { ...NETWORK_DEFAULTS, ...input }
  validateNetworkConfig(config)
  return config
}

function bad(field: keyof NetworkConfig, why: string, value: unknown): NetworkError {
  return new NetworkError(NetworkErrorCode.BadConfig, `network.${field} ${why}`, { field, value })
}

function checkInteger(config: NetworkConfig, field: keyof NetworkConfig, min: number): void {
  const value = config[field]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw bad(field, `must be an integer >= ${min}`, value)
  }
}

function checkAddresses(config: NetworkConfig, field: 'listen' | 'announce' | 'bootstrap'): void {
  const value = config[field]
  if (!Array.isArray(value)) throw bad(field, 'must be a list of multiaddrs', value)
  for (const [i, text] of value.entries()) {
    let addr
    try {
      addr = multiaddr(text)
    } catch {
      throw bad(field, `[${i}] is not a multiaddr`, text)
    }
    if (field === 'bootstrap' && addr.getPeerId() == null) {
      throw bad(field, `[${i}] lacks /p2p/<peer id>`, text)
    }
  }
}

export function validateNetworkConfig(config: NetworkConfig): void {
  if (typeof config.network !== 'string' || !NETWORK_NAME.test(config.network)) {
    throw bad('network', 'must be 1-64 characters of a-z 0-9 . _ - (it goes into protocol ids)', config.network)
  }
  if (typeof config.dataDir !== 'string' || config.dataDir === '') {
    throw bad('dataDir', 'must be a directory path', config.dataDir)
  }
  checkAddresses(config, 'listen')
  if (config.listen.length === 0) throw bad('listen', 'needs at least one address', config.listen)
  checkAddresses(config, 'announce')
  checkAddresses(config, 'bootstrap')
  checkInteger(config, 'maxConnections', 1)
  checkInteger(config, 'minConnections', 0)
  if (config.minConnections > config.maxConnections) {
    throw bad('minConnections', `must not exceed maxConnections (${config.maxConnections})`, config.minConnections)
  }
  checkInteger(config, 'inboundConnectionsPerSecond', 1)
  checkInteger(config, 'ipColocationLimit', 1)
  if (typeof config.mdns !== 'boolean') throw bad('mdns', 'must be true or false', config.mdns)
  if (typeof config.banMinutes !== 'number' || !(config.banMinutes > 0) || !Number.isFinite(config.banMinutes)) {
    throw bad('banMinutes', 'must be a number > 0', config.banMinutes)
  }
  if (!['auto', 'all', 'private', 'public'].includes(config.dhtAddresses)) {
    throw bad('dhtAddresses', "must be 'auto', 'all', 'private' or 'public'", config.dhtAddresses)
  }
  if (typeof config.dhtServer !== 'boolean') throw bad('dhtServer', 'must be true or false', config.dhtServer)
}
