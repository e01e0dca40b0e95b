// `node --import tsx bench/prune.ts`: does pruning a long chain hold up consensus? Four validator
// processes (test/e2e/cluster.ts) build `--blocks` empty blocks as fast as they can; then all four
// are restarted twice with the default block interval: once keeping every block (the baseline),
// once with storage.keepBlocks = `--keep`, so that each of them prunes almost the whole chain in
// the background right after it starts. For the first `--seconds` after the restart, in both runs:
// the interval between blocks as node0 announces them (its event stream, wall clock), and the
// commit latency of all four (their metrics: sum and count of
// p2pnode_consensus_commit_latency_seconds, and how many commits took over 0.5 s).
//
//   node --import tsx bench/prune.ts --blocks 6000 --keep 100 --seconds 20

import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Cluster, FAST_CONSENSUS, type ClusterNode, waitFor } from '../test/e2e/cluster.ts'

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '6000' },
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
  /** node0's block announcements, ms after the restart's APIs answered. */
  arrivals: number[]
  /** The four nodes' commit latency counters, scraped about every second: [ms, sum, count, over]. */
  scrapes: Array<{ at: number; sum: number; count: number; over: number }>
  /** When node0's backlog was gone (the pruning run only). */
  pruneMs?: number
  servesFrom: number
  height: number
}

async function scrape(cluster: Cluster, at: number): Promise<Run['scrapes'][number]> {
  const all = await Promise.all(cluster.nodes.map(latency))
  return { at, sum: all.reduce((a, l) => a + l.sum, 0), count: all.reduce((a, l) => a + l.count, 0), over: all.reduce((a, l) => a + l.over, 0) }
}

/** Restarts every node (config already written) and watches the first `seconds` after they answer. */
async function watch(cluster: Cluster, pruning: boolean): Promise<Run> {
  await Promise.all(cluster.nodes.map((_, i) => cluster.kill(i, 'SIGTERM')))
  await Promise.all(cluster.nodes.map((_, i) => cluster.startNode(i)))
  const node0 = cluster.nodes[0]!
  const start = performance.now()
  const arrivals: number[] = []
  const stop = node0.client.events((e) => {
    if (e.type === 'block') arrivals.push(performance.now() - start)
  })
  const run: Run = { arrivals, scrapes: [await scrape(cluster, 0)], servesFrom: 1, height: 0 }
  // pruned down to keep + the pruner's slack and one batch (storage/pruner.ts): the backlog is gone
  const done = (s: { servesFrom: number; height: number }) => s.servesFrom > 1 && s.height - s.servesFrom + 1 <= keep + 150
  let next = 1000
  while (performance.now() - start < seconds * 1000) {
    const s = await node0.client.status()
    if (pruning && run.pruneMs === undefined && done(s)) run.pruneMs = performance.now() - start
    if (performance.now() - start >= next) {
      run.scrapes.push(await scrape(cluster, performance.now() - start))
      next += 1000
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  stop()
  run.scrapes.push(await scrape(cluster, performance.now() - start))
  const last = await node0.client.status()
  return { ...run, servesFrom: last.servesFrom, height: last.height }
}

/** Block intervals and commit latency of `run` between `from` and `to` ms after its restart. */
function slice(run: Run, from: number, to: number) {
  const times = run.arrivals.filter((t) => t >= from && t <= to)
  const intervals = times.slice(1).map((t, i) => t - times[i]!).sort((a, b) => a - b)
  const first = run.scrapes.filter((s) => s.at <= from).at(-1) ?? run.scrapes[0]!
  const last = run.scrapes.find((s) => s.at >= to) ?? run.scrapes.at(-1)!
  const count = last.count - first.count
  return { blocks: times.length, intervals, latencyMs: ((last.sum - first.sum) / count) * 1000, commits: count, over: last.over - first.over }
}

function report(name: string, s: ReturnType<typeof slice>): void {
  const i = s.intervals
  console.log(
    `  ${name.padEnd(10)} ${String(s.blocks).padStart(4)} blocks  interval p50 ${pct(i, 50).toFixed(0).padStart(4)} ms p99 ${pct(i, 99).toFixed(0).padStart(5)} ms max ${(i.at(-1) ?? NaN).toFixed(0).padStart(5)} ms  ` +
      `commit latency mean ${s.latencyMs.toFixed(0).padStart(4)} ms, ${s.over} of ${s.commits} commits (4 nodes) over 0.5 s`,
  )
}

const cluster = await Cluster.start({ validators: 4, config: { consensus: { ...FAST_CONSENSUS.consensus, blockIntervalMs: 0 }, metrics: { enabled: true }, log: { level: 'warn' } } })
try {
  const t0 = Date.now()
  await waitFor(`${blocks} blocks`, async () => Math.min(...(await cluster.heights())) >= blocks, blocks * 2_000, 1_000)
  console.log(`built ${blocks} empty blocks in ${((Date.now() - t0) / 1000).toFixed(0)} s; each run watches the first ${seconds} s after a restart of all four`)
  await Promise.all(cluster.nodes.map((n) => setConfig(n, (c) => (c['consensus'] = { ...c['consensus'], blockIntervalMs: 100 }))))
  const base = await watch(cluster, false)
  await Promise.all(cluster.nodes.map((n) => setConfig(n, (c) => (c['storage'] = { ...c['storage'], keepBlocks: keep }))))
  const pruned = await watch(cluster, true)
  const span = pruned.pruneMs ?? seconds * 1000
  console.log(`node0 pruned its backlog (${pruned.servesFrom - 1} blocks, now ${pruned.servesFrom}..${pruned.height}) in ${(span / 1000).toFixed(1)} s${pruned.pruneMs === undefined ? ' (not done within the window)' : ''}`)
  console.log(`the first ${(span / 1000).toFixed(1)} s after the restart (while the pruned run pruned):`)
  report('keep all', slice(base, 0, span))
  report(`keep ${keep}`, slice(pruned, 0, span))
  console.log(`the whole ${seconds} s window:`)
  report('keep all', slice(base, 0, seconds * 1000))
  report(`keep ${keep}`, slice(pruned, 0, seconds * 1000))
} finally {
  await cluster.stop()
}
