// The node's Prometheus instruments, on a registry of their own so several nodes in one process
// (tests, the bench) never share counters. Names follow `p2pnode_<subsystem>_<what>_<unit>`.
// libp2p's own metrics join the same registry: pass `metrics.registry` to
// @libp2p/prometheus-metrics' `registry` option.
//
// Labels stay low-cardinality on purpose: gossip is labelled by topic kind (txs, proposal, vote,
// commit), not by the full topic string; API requests by route pattern, not by URL. What belongs
// to one hosted entity (chain, consensus, mempool, sync, its gossip) carries an `entity` label:
// `root` for the network's root entity, else the entity's registered name or its id (hex). An
// EntityHost gets `forEntity(label)`, a view with the label bound.

import { performance } from 'node:perf_hooks'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export const METRICS_PREFIX = 'p2pnode_'

/**
 * How often prom-client's event-loop lag monitor samples (its default is 10 ms). Each sample wakes
 * the process: at 10 ms that was about 0.8% of a core on an idle node, four times what the node's
 * own work cost (docs/BENCHMARKS.md, "Footprint"). At 500 ms a stall of half a second or more is
 * always seen and shorter ones by chance; `p2pnode_event_loop_utilization` (free: libuv keeps the
 * figures) shows how busy the loop was between two scrapes.
 */
export const EVENT_LOOP_MONITOR_MS = 500

/** Around the 100 ms block target, out to the stalls that matter. */
const BLOCK_INTERVAL_BUCKETS = [0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10]
const COMMIT_LATENCY_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5]
const ROUNDS_BUCKETS = [1, 2, 3, 4, 6, 8, 12]
const API_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1]

export type GossipVerdict = 'accept' | 'ignore' | 'reject'

export interface NodeMetricsInit {
  /** Process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean
  /** Labels on every series, e.g. `{ node: 'v0' }`. */
  labels?: Record<string, string>
}

export class NodeMetrics {
  readonly registry: Registry

  readonly peers: Gauge
  readonly gossipMessages: Counter<'entity' | 'topic' | 'verdict'>
  readonly height: Gauge<'entity'>
  readonly blockInterval: Histogram<'entity'>
  readonly commitLatency: Histogram<'entity'>
  readonly roundsPerHeight: Histogram<'entity'>
  readonly mempoolTxs: Gauge<'entity'>
  readonly mempoolBytes: Gauge<'entity'>
  readonly syncing: Gauge<'entity'>
  readonly syncBlocksApplied: Counter<'entity'>
  readonly apiRequests: Counter<'route' | 'method' | 'status'>
  readonly apiRequestDuration: Histogram<'route' | 'method'>

  constructor(init: NodeMetricsInit = {}) {
    const registry = new Registry()
    this.registry = registry
    if (init.labels !== undefined) registry.setDefaultLabels(init.labels)
    const registers = [registry]
    const p = METRICS_PREFIX
    if (init.defaultMetrics !== false) {
      collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITOR_MS })
      let last = performance.eventLoopUtilization()
      new Gauge({
        name: `${p}event_loop_utilization`,
        help: 'Share of the time since the last scrape the event loop was busy (0..1)',
        registers,
        collect() {
          const now = performance.eventLoopUtilization()
          this.set(performance.eventLoopUtilization(now, last).utilization)
          last = now
        },
      })
    }

    this.peers = new Gauge({ name: `${p}network_peers`, help: 'Connected peers', registers })
    this.gossipMessages = new Counter({
      name: `${p}gossip_messages_total`,
      help: 'Gossip messages received, by entity, topic kind and validation verdict',
      labelNames: ['entity', 'topic', 'verdict'],
      registers,
    })
    const labelNames = ['entity'] as const
    this.height = new Gauge({ name: `${p}chain_height`, help: 'Height of the last committed block', labelNames, registers })
    this.blockInterval = new Histogram({
      name: `${p}chain_block_interval_seconds`,
      help: 'Time between consecutive committed blocks (by block time)',
      buckets: BLOCK_INTERVAL_BUCKETS,
      labelNames,
      registers,
    })
    this.commitLatency = new Histogram({
      name: `${p}consensus_commit_latency_seconds`,
      help: 'From the proposal first seen to its commit',
      buckets: COMMIT_LATENCY_BUCKETS,
      labelNames,
      registers,
    })
    this.roundsPerHeight = new Histogram({
      name: `${p}consensus_rounds_per_height`,
      help: 'Rounds a height took to commit (1 when the first proposal is committed)',
      buckets: ROUNDS_BUCKETS,
      labelNames,
      registers,
    })
    this.mempoolTxs = new Gauge({ name: `${p}mempool_txs`, help: 'Transactions in the mempool', labelNames, registers })
    this.mempoolBytes = new Gauge({ name: `${p}mempool_bytes`, help: 'Encoded size of the mempool', labelNames, registers })
    this.syncing = new Gauge({ name: `${p}sync_active`, help: '1 while the entity is syncing, 0 while it follows consensus', labelNames, registers })
    this.syncBlocksApplied = new Counter({ name: `${p}sync_blocks_applied_total`, help: 'Blocks applied through sync', labelNames, registers })
    this.apiRequests = new Counter({
      name: `${p}api_requests_total`,
      help: 'HTTP API requests, by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    })
    this.apiRequestDuration = new Histogram({
      name: `${p}api_request_duration_seconds`,
      help: 'HTTP API request duration, by route pattern and method',
      labelNames: ['route', 'method'],
      buckets: API_DURATION_BUCKETS,
      registers,
    })
  }

  /** The instruments of one hosted entity, its `entity` label bound. */
  forEntity(entity: string): EntityMetrics {
    return new EntityMetrics(this, entity)
  }

  apiRequest(route: string, method: string, status: number, seconds: number): void {
    this.apiRequests.inc({ route, method, status: String(status) })
    this.apiRequestDuration.observe({ route, method }, seconds)
  }

  /** The Prometheus text exposition of everything registered. */
  async text(): Promise<string> {
    return this.registry.metrics()
  }
}

/** One hosted entity's view of the node's instruments (NodeMetrics.forEntity). */
export class EntityMetrics {
  constructor(
    private readonly m: NodeMetrics,
    readonly entity: string,
  ) {
    // the series exist from the start (0), not from the first event
    m.height.set({ entity }, 0)
    m.syncing.set({ entity }, 0)
  }

  /** A gossip message got its verdict. `topic` is the topic kind: txs, proposal, vote, commit. */
  gossipMessage(topic: string, verdict: GossipVerdict): void {
    this.m.gossipMessages.inc({ entity: this.entity, topic, verdict })
  }

  /**
   * A block was committed. The interval and latency are optional: the first block after a start
   * has no predecessor to measure from, and a block learned through sync has no proposal seen.
   */
  blockCommitted(c: { height: number; intervalSeconds?: number; latencySeconds?: number; rounds?: number }): void {
    const labels = { entity: this.entity }
    this.m.height.set(labels, c.height)
    if (c.intervalSeconds !== undefined && c.intervalSeconds >= 0) this.m.blockInterval.observe(labels, c.intervalSeconds)
    if (c.latencySeconds !== undefined && c.latencySeconds >= 0) this.m.commitLatency.observe(labels, c.latencySeconds)
    if (c.rounds !== undefined) this.m.roundsPerHeight.observe(labels, c.rounds)
  }

  mempool(txs: number, bytes: number): void {
    this.m.mempoolTxs.set({ entity: this.entity }, txs)
    this.m.mempoolBytes.set({ entity: this.entity }, bytes)
  }

  setSyncing(syncing: boolean): void {
    this.m.syncing.set({ entity: this.entity }, syncing ? 1 : 0)
  }

  syncBlockApplied(): void {
    this.m.syncBlocksApplied.inc({ entity: this.entity })
  }
}
