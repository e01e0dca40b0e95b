// The node's configuration: one home for defaults, fast test values and validation. Every field
// is optional in the file; what is missing takes its default. Validation fails at start with a
// message naming the bad field, never later with a surprise.

// Narrow imports (not the core's index, not the API server): the CLI reads configs without
// loading BLS, LevelDB or the HTTP framework.
import { DEFAULT_TIMEOUTS } from '@p2pnode/core/params'
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUESTS_PER_SECOND } from './api/defaults.ts'
import { DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT } from './metrics/server.ts'
import { describeValue } from './describe-value.ts'
import { NETWORK_DEFAULTS, type NetworkConfig } from './network/config.ts'

export interface TimeoutConfig {
  baseMs: number
  deltaMs: number
}

export interface NodeConfig {
  /** Network name: separates DHTs, topics and signatures of different networks. */
  network: string
  /** The network layer's settings, documented in network/config.ts (`dataDir` is the home's). */
  p2p: Omit<NetworkConfig, 'network' | 'dataDir' | 'dhtAddresses'>
  api: { host: string; port: number; maxBodyBytes: number; requestsPerSecond: number }
  metrics: { enabled: boolean; host: string; port: number }
  consensus: {
    /** Target time between blocks while there is work: the pause after a commit before the next height starts. */
    blockIntervalMs: number
    /**
     * Time between blocks while there is none (no transaction ready, no peer at the next height):
     * heartbeat blocks keep heights passing, slowly. 0 makes blocks back to back, work or not.
     */
    emptyBlockIntervalMs: number
    propose: TimeoutConfig
    prevote: TimeoutConfig
    precommit: TimeoutConfig
    /** Transactions gossiped together are collected for this long. */
    txBatchMs: number
    /** Heights behind the best peer before the node leaves consensus for sync. */
    syncThreshold: number
  }
  mempool: { maxTxs: number; maxBytes: number; maxPerSender: number }
  storage: {
    /** fsync each server frame (the write-ahead log). */
    sync: boolean
    /** Frames kept in the log (the newest); 0 keeps all of them (needed to replay from genesis). */
    keepFrames: number
    /**
     * Blocks kept with their commits (the newest); 0 keeps all. Older ones are pruned in the
     * background, and the node serves sync only from the oldest it kept (storage/pruner.ts).
     */
    keepBlocks: number
  }
  log: { level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'; format: 'json' | 'pretty' }
}


/**
 * Frames a node keeps by default: the last minutes of its inputs (a validator seals three frames
 * per block: its prevote, its precommit, the commit), for looking back at what it received.
 * Recovery needs none (its root and state are written with every frame), and each frame repeats
 * bytes stored elsewhere (the block, the commit, the voted block), so a long log was most of an
 * idle node's disk: 100,000 frames were 1.7 KB of every empty block's 2.2 KB (docs/BENCHMARKS.md).
 */
export const DEFAULT_KEEP_FRAMES = 1_000

/**
 * The heartbeat of an idle network (docs/node.md, "Heartbeat blocks"). Ten seconds: a block costs
 * each of four nodes about 30 ms of CPU (its votes' BLS checks, a few fsyncs, some hundred socket
 * writes and reads), so at one every 2 s the heartbeat alone was 1.5% of a core per node, at one
 * every 10 s it is 0.3%, and an idle node stays within 2% of a core (docs/BENCHMARKS.md,
 * "Footprint"). Heights still pass often enough for expiries and the sync threshold to keep a
 * meaning an operator can reason about, and a stopped validator shows within a few heartbeats.
 */
export const DEFAULT_EMPTY_BLOCK_INTERVAL_MS = 10_000

/** Fewest blocks a pruning node keeps (storage.keepBlocks): a peer that was away for a moment can still sync from it. */
export const MIN_KEEP_BLOCKS = 100

export const DEFAULT_CONFIG: NodeConfig = {
  network: 'p2pnode',
  // the network layer's defaults, less the DHT address filter (decided by the node, not the file)
  p2p: (({ dhtAddresses: _, ...p2p }) => p2p)(NETWORK_DEFAULTS),
  api: { host: DEFAULT_API_HOST, port: DEFAULT_API_PORT, maxBodyBytes: DEFAULT_MAX_BODY_BYTES, requestsPerSecond: DEFAULT_REQUESTS_PER_SECOND },
  metrics: { enabled: true, host: DEFAULT_METRICS_HOST, port: DEFAULT_METRICS_PORT },
  consensus: {
    blockIntervalMs: 100,
    emptyBlockIntervalMs: DEFAULT_EMPTY_BLOCK_INTERVAL_MS,
    ...DEFAULT_TIMEOUTS,
    txBatchMs: 5,
    syncThreshold: 3,
  },
  mempool: { maxTxs: 20_000, maxBytes: 64 * 1024 * 1024, maxPerSender: 256 },
  storage: { sync: true, keepFrames: DEFAULT_KEEP_FRAMES, keepBlocks: 0 },
  log: { level: 'info', format: 'json' },
}

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] }
export type NodeConfigInput = DeepPartial<NodeConfig>

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Overlays `over` on `base`, field by field; arrays are replaced, not merged. */
export function mergeConfig<T>(base: T, over: unknown, path = ''): T {
  if (!isPlainObject(over)) return base
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) }
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue
    const current = out[key]
    const field = path ? `${path}.${key}` : key
    // a section (api, p2p, ...) is an object in every layer: `"api": null` is a mistake, not "no api"
    if (isPlainObject(current) && !isPlainObject(value)) throw new ConfigError(field, `must be an object, got ${describeValue(value)}`)
    out[key] = isPlainObject(current) ? mergeConfig(current, value, field) : value
  }
  return out as T
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`config ${field}: ${message}`)
  }
}

function check(condition: boolean, field: string, message: string): void {
  if (!condition) throw new ConfigError(field, message)
}

function checkInt(value: unknown, field: string, min: number, max: number): void {
  check(Number.isInteger(value) && (value as number) >= min && (value as number) <= max, field, `must be an integer in ${min}..${max}, got ${describeValue(value)}`)
}

function checkStrings(value: unknown, field: string): void {
  check(Array.isArray(value) && value.every((v) => typeof v === 'string' && v.length > 0), field, 'must be a list of non-empty strings')
}

function checkTimeout(t: TimeoutConfig, field: string): void {
  checkInt(t?.baseMs, `${field}.baseMs`, 1, 600_000)
  checkInt(t?.deltaMs, `${field}.deltaMs`, 0, 600_000)
}

/** Checks every field; throws a ConfigError naming the first bad one. */
export function validateConfig(c: NodeConfig): NodeConfig {
  check(typeof c.network === 'string' && /^[a-z0-9][a-z0-9._-]{0,63}$/.test(c.network), 'network', 'must be 1..64 of a-z 0-9 . _ - (starting with a letter or digit)')
  checkStrings(c.p2p.listen, 'p2p.listen')
  check(c.p2p.listen.every((a) => a.startsWith('/')), 'p2p.listen', 'entries must be multiaddrs such as /ip4/0.0.0.0/tcp/26656')
  checkStrings(c.p2p.announce, 'p2p.announce')
  checkStrings(c.p2p.bootstrap, 'p2p.bootstrap')
  check(c.p2p.bootstrap.every((a) => a.startsWith('/') && a.includes('/p2p/')), 'p2p.bootstrap', 'entries must be multiaddrs ending in /p2p/<peer id>')
  checkInt(c.p2p.maxConnections, 'p2p.maxConnections', 1, 10_000)
  checkInt(c.p2p.minConnections, 'p2p.minConnections', 0, c.p2p.maxConnections)
  checkInt(c.p2p.inboundConnectionsPerSecond, 'p2p.inboundConnectionsPerSecond', 1, 100_000)
  checkInt(c.p2p.ipColocationLimit, 'p2p.ipColocationLimit', 1, 100_000)
  check(typeof c.p2p.mdns === 'boolean', 'p2p.mdns', 'must be true or false')
  checkInt(c.p2p.banMinutes, 'p2p.banMinutes', 0, 7 * 24 * 60)
  check(typeof c.p2p.dhtServer === 'boolean', 'p2p.dhtServer', 'must be true or false')
  check(typeof c.api.host === 'string' && c.api.host.length > 0, 'api.host', 'must be a host name or address')
  checkInt(c.api.port, 'api.port', 0, 65535)
  checkInt(c.api.maxBodyBytes, 'api.maxBodyBytes', 1024, 64 * 1024 * 1024)
  checkInt(c.api.requestsPerSecond, 'api.requestsPerSecond', 1, 1_000_000)
  check(typeof c.metrics.enabled === 'boolean', 'metrics.enabled', 'must be true or false')
  checkInt(c.metrics.port, 'metrics.port', 0, 65535)
  checkInt(c.consensus.blockIntervalMs, 'consensus.blockIntervalMs', 0, 600_000)
  checkInt(c.consensus.emptyBlockIntervalMs, 'consensus.emptyBlockIntervalMs', 0, 3_600_000)
  checkTimeout(c.consensus.propose, 'consensus.propose')
  checkTimeout(c.consensus.prevote, 'consensus.prevote')
  checkTimeout(c.consensus.precommit, 'consensus.precommit')
  checkInt(c.consensus.txBatchMs, 'consensus.txBatchMs', 0, 10_000)
  checkInt(c.consensus.syncThreshold, 'consensus.syncThreshold', 1, 1_000_000)
  checkInt(c.mempool.maxTxs, 'mempool.maxTxs', 1, 10_000_000)
  checkInt(c.mempool.maxBytes, 'mempool.maxBytes', 1024, 16 * 1024 * 1024 * 1024)
  checkInt(c.mempool.maxPerSender, 'mempool.maxPerSender', 1, 1_000_000)
  check(typeof c.storage.sync === 'boolean', 'storage.sync', 'must be true or false')
  checkInt(c.storage.keepFrames, 'storage.keepFrames', 0, Number.MAX_SAFE_INTEGER)
  checkInt(c.storage.keepBlocks, 'storage.keepBlocks', 0, Number.MAX_SAFE_INTEGER)
  check(c.storage.keepBlocks === 0 || c.storage.keepBlocks >= MIN_KEEP_BLOCKS, 'storage.keepBlocks', `must be 0 (keep all) or at least ${MIN_KEEP_BLOCKS}, got ${c.storage.keepBlocks}`)
  check(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(c.log.level), 'log.level', 'must be one of trace debug info warn error fatal silent')
  check(['json', 'pretty'].includes(c.log.format), 'log.format', 'must be json or pretty')
  return c
}

/** Defaults, then each layer in order (file, environment, flags): later layers win. */
export function resolveConfig(...layers: unknown[]): NodeConfig {
  let config = DEFAULT_CONFIG
  for (const layer of layers) config = mergeConfig(config, layer)
  return validateConfig(config)
}
