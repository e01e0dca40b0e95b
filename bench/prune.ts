// `node --import tsx bench/prune.ts`: does pruning a long chain hold up consensus? Four validator
// processes (test/e2e/cluster.ts) build `--blocks` empty blocks as fast as they can, then run at
// the default block interval. Then each node in turn is restarted while the other three go on:
// node0 and node2 keeping every block (the baseline), node1 and node3 with storage.keepBlocks =
// `--keep`, so that each of those prunes almost the whole chain in the background right after it
// starts. For the first `--seconds` after each restart: the interval between blocks as the
// restarted node commits them and as the next node does (event streams, wall clock), and the
// restarted node's commit latency (its metrics: sum and count of
// p2pnode_consensus_commit_latency_seconds, and how many commits took over 0.5 s), with the
// times of the longest gaps. (Restarting all four at once mixes the prune with the network's own
// cold start: on a loaded machine no block came in the first 20 s either way.)
//
//   node --import tsx bench/prune.ts --blocks 5000 --keep 100 --seconds 20

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Cluster, FAST_CONSENSUS, type ClusterNode, waitFor } from '../test/e2e/cluster.ts'

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '5000' },
    keep: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '20' },
  },
})
const blocks = Number(values.blocks)
const keep = Number(values.keep)
const seconds = Number(values.seconds)

async function setConfig(node: ClusterNode, change: (config: Record<string, any>) => void): Promise<void> {
  const file = join(node.home, 'config.json')
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, any>
  change(config)
  await writeFile(file, JSON.stringify(config, null, 2))
}

async function latency(node: ClusterNode): Promise<{ sum: number; count: number; over: number }> {
  const text = await (await fetch(`http://127.0.0.1:${node.metricsPort}/metrics`)).text()
  const value = (re: RegExp) => Number(text.match(re)?.[1] ?? 0)
  const count = value(/^p2pnode_consensus_commit_latency_seconds_count(?:\{[^}]*\})? (\S+)$/m)
  const within = value(/^p2pnode_consensus_commit_latency_seconds_bucket\{[^}]*le="0\.5"[^}]*\} (\S+)$/m)
  return { sum: value(/^p2pnode_consensus_commit_latency_seconds_sum(?:\{[^}]*\})? (\S+)$/m), count, over: count - within }
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

interface Run {
  node: number
  /** The restarted node's and the next node's commit announcements, ms after the restart answered. */
  arrivals: number[][]
  /** The restarted node's commit latency counters, scraped about every second. */
  scrapes: Array<{ at: number; sum: number; count: number; over: number }>
  /** When its backlog was gone (pruning runs only). */
  pruneMs?: number
  servesFrom: number
  height: number
}

/** Restarts node `n` (its config already written) and watches the first `seconds` after it answers. */
async function watch(cluster: Cluster, n: number, pruning: boolean): Promise<Run> {
  const watched = [n, (n + 1) % cluster.nodes.length]
  await cluster.kill(n, 'SIGTERM')
  await cluster.startNode(n)
  const start = performance.now()
  const arrivals: number[][] = [[], []]
  const stops = watched.map((i, k) =>
    cluster.nodes[i]!.client.events((e) => {
      if (e.type === 'block') arrivals[k]!.push(performance.now() - start)
    }),
  )
  const node = cluster.nodes[n]!
  const scrape = async () => ({ at: performance.now() - start, ...(await latency(node)) })
  const run: Run = { node: n, arrivals, scrapes: [await scrape()], servesFrom: 1, height: 0 }
  // pruned down to keep + the pruner's slack and one batch (storage/pruner.ts): the backlog is gone
  const done = (s: { servesFrom: number; height: number }) => s.servesFrom > 1 && s.height - s.servesFrom + 1 <= keep + 150
  let next = 1000
  while (performance.now() - start < seconds * 1000) {
    const s = await node.client.status()
    if (pruning && run.pruneMs === undefined && done(s)) run.pruneMs = performance.now() - start
    if (performance.now() - start >= next) {
      run.scrapes.push(await scrape())
      next += 1000
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  for (const stop of stops) stop()
  run.scrapes.push(await scrape())
  const last = await node.client.status()
  return { ...run, servesFrom: last.servesFrom, height: last.height }
}

function report(run: Run, pruning: boolean): void {
  const label = pruning ? `keep ${keep}` : 'keep all'
  const prune = run.pruneMs === undefined ? '' : `, pruned ${run.servesFrom - 1} blocks in ${(run.pruneMs / 1000).toFixed(1)} s`
  console.log(`node${run.node} restarted, ${label}${prune}:`)
  for (const k of [0, 1]) {
    const times = run.arrivals[k]!
    const gaps = times.slice(1).map((t, j) => ({ at: times[j]!, ms: t - times[j]! }))
    const sorted = gaps.map((g) => g.ms).sort((a, b) => a - b)
    const longest = [...gaps].sort((a, b) => b.ms - a.ms).slice(0, 3).map((g) => `${g.ms.toFixed(0)} ms at ${(g.at / 1000).toFixed(1)} s`)
    let line = `  node${(run.node + k) % 4} ${String(times.length).padStart(4)} blocks, interval p50 ${pct(sorted, 50).toFixed(0).padStart(4)} ms p99 ${pct(sorted, 99).toFixed(0).padStart(5)} ms; longest ${longest.join(', ')}`
    if (k === 0) {
      const first = run.scrapes[0]!
      const last = run.scrapes.at(-1)!
      const count = last.count - first.count
      line += `; commit latency mean ${(((last.sum - first.sum) / count) * 1000).toFixed(0)} ms, ${last.over - first.over} of ${count} over 0.5 s`
    }
    console.log(line)
  }
}

const cluster = await Cluster.start({ validators: 4, config: { consensus: { ...FAST_CONSENSUS.consensus, blockIntervalMs: 0 }, metrics: { enabled: true }, log: { level: 'info' } } })
try {
  const t0 = Date.now()
  await waitFor(`${blocks} blocks`, async () => Math.min(...(await cluster.heights())) >= blocks, blocks * 2_000, 1_000)
  console.log(`built ${blocks} empty blocks in ${((Date.now() - t0) / 1000).toFixed(0)} s; each node restarted in turn and watched for ${seconds} s`)
  // the default pace from now on: all four restarted once, and warm again before the runs
  await Promise.all(cluster.nodes.map((n) => setConfig(n, (c) => (c['consensus'] = { ...c['consensus'], blockIntervalMs: 100 }))))
  await Promise.all(cluster.nodes.map((_, i) => cluster.kill(i, 'SIGTERM')))
  await Promise.all(cluster.nodes.map((_, i) => cluster.startNode(i)))
  const warm = Math.max(...(await cluster.heights())) + 20
  await waitFor('20 blocks at the default pace', async () => Math.min(...(await cluster.heights())) >= warm, 120_000, 250)
  for (const n of [0, 1, 2, 3]) {
    const pruning = n % 2 === 1
    if (pruning) await setConfig(cluster.nodes[n]!, (c) => (c['storage'] = { ...c['storage'], keepBlocks: keep }))
    report(await watch(cluster, n, pruning), pruning)
  }
} finally {
  await cluster.stop()
}
