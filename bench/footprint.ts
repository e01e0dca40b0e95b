// `npm run bench:footprint`: what a node costs the machine it runs on (issue 11). A 4-validator
// network of node processes at default settings (the fast local timeouts aside), measured idle
// and under a steady load: CPU per node (percent of one core, from /proc), resident memory,
// disk growth of each node's home, blocks made; and the start-up of `p2pnode --version` and
// `p2pnode status`. Each figure is printed beside what the same run measured of the machine:
// `node -e 0` for start-up times, a bare node process for memory.
//
//   npm run bench:footprint
//   npm run bench:footprint -- --idle-seconds 60 --load-seconds 60 --rate 200

import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AccountSigner, TxKind, encodeCounterAdd, encodeTx, sha256, utf8 } from '@p2pnode/core'
import { DEFAULT_EMPTY_BLOCK_INTERVAL_MS } from '../packages/node/src/config.ts'
import { Cluster, waitFor } from '../test/e2e/cluster.ts'
import { measureStartup } from './startup.ts'

const { values } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '60' },
    'load-seconds': { type: 'string', default: '60' },
    /** Before the idle window: the first minute holds start-up work (JIT, DHT lookups backing off, identify). */
    'settle-seconds': { type: 'string', default: '90' },
    rate: { type: 'string', default: '200' },
    /** The heartbeat to measure at; default: the node's default. */
    'empty-block-ms': { type: 'string' },
  },
})
const idleSeconds = Number(values['idle-seconds'])
const loadSeconds = Number(values['load-seconds'])
const settleSeconds = Number(values['settle-seconds'])
const rate = Number(values.rate)

const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100
const SAMPLE_MS = 1_000
const MIB = 1024 * 1024

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // fields after the command name, which is in parentheses and may hold spaces
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024
}

/** Bytes of the files under `dir` (their sizes, as the data a node keeps). */
function diskBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    try {
      if (entry.isDirectory()) total += diskBytes(path)
      else if (entry.isFile()) total += statSync(path).size
    } catch {
      // a LevelDB file removed by compaction between the listing and the stat
    }
  }
  return total
}

interface Phase {
  seconds: number
  blocks: number
  cpuPercent: number[]
  rssMeanMiB: number[]
  rssMaxMiB: number[]
  diskPerHourMiB: number[]
}

/** Measures every node for `seconds` while `during` runs (it is told when to stop). */
async function measure(cluster: Cluster, seconds: number, during?: (until: number) => Promise<void>): Promise<Phase> {
  const pids = cluster.nodes.map((n) => n.process!.pid!)
  const height0 = (await cluster.nodes[0]!.client.status()).height
  const cpu0 = pids.map(cpuSeconds)
  const disk0 = cluster.nodes.map((n) => diskBytes(n.home))
  const rss: number[][] = pids.map(() => [])
  const started = Date.now()
  const until = started + seconds * 1_000
  const load = during?.(until)
  while (Date.now() < until) {
    pids.forEach((pid, i) => rss[i]!.push(rssBytes(pid)))
    await new Promise((r) => setTimeout(r, SAMPLE_MS))
  }
  await load
  const elapsed = (Date.now() - started) / 1_000
  const height1 = (await cluster.nodes[0]!.client.status()).height
  return {
    seconds: elapsed,
    blocks: height1 - height0,
    cpuPercent: pids.map((pid, i) => ((cpuSeconds(pid) - cpu0[i]!) / elapsed) * 100),
    rssMeanMiB: rss.map((r) => r.reduce((a, b) => a + b, 0) / r.length / MIB),
    rssMaxMiB: rss.map((r) => Math.max(...r) / MIB),
    diskPerHourMiB: cluster.nodes.map((n, i) => ((diskBytes(n.home) - disk0[i]!) / elapsed) * 3_600 / MIB),
  }
}

/** Submits `rate` transactions a second, spread over the nodes, until `until`. */
async function steadyLoad(cluster: Cluster, until: number): Promise<number> {
  const status = await cluster.nodes[0]!.client.status()
  const entity = Buffer.from(status.entity, 'hex')
  // one transaction per account per second keeps every sender far below its mempool cap
  const accounts = Array.from({ length: rate }, (_, i) => new AccountSigner(sha256(utf8(`footprint-${i}`))))
  const nonces = accounts.map(() => 0)
  const TICK_MS = 100
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1_000))
  let sent = 0
  let next = 0
  for (let tick = Date.now(); Date.now() < until; tick += TICK_MS) {
    const batch: Uint8Array[] = []
    for (let k = 0; k < perTick; k++, next = (next + 1) % accounts.length) {
      const account = accounts[next]!
      batch.push(encodeTx(account.signTransaction({ network: status.network, entity, nonce: nonces[next]!++, kind: TxKind.CounterAdd, payload: encodeCounterAdd(1) })))
    }
    await cluster.nodes[sent % cluster.nodes.length]!.client.submitTransactions(batch)
    sent += batch.length
    await new Promise((r) => setTimeout(r, Math.max(0, tick + TICK_MS - Date.now())))
  }
  return sent
}

/**
 * Commit latency of a transaction sent to an idle network: `count` transactions, each sent just
 * after a heartbeat block (so the network is idle), each timed from submission to its commit as
 * the node it was sent to reports it.
 */
async function idleLatencies(cluster: Cluster, count: number): Promise<number[]> {
  const client = cluster.nodes[1]!.client
  const status = await client.status()
  const entity = Buffer.from(status.entity, 'hex')
  const account = new AccountSigner(sha256(utf8('footprint-idle')))
  const out: number[] = []
  for (let nonce = 0; nonce < count; nonce++) {
    const from = (await client.status()).height
    await waitFor('a heartbeat block', async () => (await client.status()).height > from, 60_000, 20)
    const tx = encodeTx(account.signTransaction({ network: status.network, entity, nonce, kind: TxKind.CounterAdd, payload: encodeCounterAdd(1) }))
    const hash = Buffer.from(sha256(tx)).toString('hex')
    const started = performance.now()
    await client.submitTransaction(Buffer.from(tx).toString('hex'))
    await waitFor('the transaction committed', async () => (await client.transactionStatus(hash)).status === 'committed', 60_000, 5)
    out.push(performance.now() - started)
  }
  return out
}

/** RSS of a node process that does nothing: the floor every node process pays. */
function bareNodeRss(): number {
  const out = spawnSync(process.execPath, ['-e', 'console.log(process.memoryUsage().rss)'], { encoding: 'utf8' })
  return Number(out.stdout.trim())
}

const fmt = (xs: number[], digits = 1) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length
  return `${mean.toFixed(digits)} (${Math.min(...xs).toFixed(digits)}..${Math.max(...xs).toFixed(digits)})`
}

async function main(): Promise<void> {
  const bareMiB = bareNodeRss() / MIB
  const startup = await measureStartup({ node: 'running' })
  console.log(`machine: node -e 0 ${startup.nodeMs.toFixed(0)} ms, a bare node process ${bareMiB.toFixed(1)} MiB RSS, ${CLOCK_TICKS} clock ticks/s`)
  console.log(`p2pnode --version ${startup.versionMs.toFixed(0)} ms = ${startup.versionRatio.toFixed(2)}x node -e 0 (aim <= 3x)`)
  console.log(`p2pnode status    ${startup.statusMs.toFixed(0)} ms = ${startup.statusRatio.toFixed(2)}x node -e 0 (aim <= 5x; against a running node)`)

  // the node's default heartbeat, not the tests' faster one (Cluster's FAST_CONSENSUS)
  const emptyBlockIntervalMs = values['empty-block-ms'] === undefined ? DEFAULT_EMPTY_BLOCK_INTERVAL_MS : Number(values['empty-block-ms'])
  console.log(`heartbeat: consensus.emptyBlockIntervalMs ${emptyBlockIntervalMs}`)
  const cluster = await Cluster.start({ validators: 4, config: { metrics: { enabled: true }, consensus: { emptyBlockIntervalMs } } })
  try {
    await waitFor('the first block', async () => (await cluster.nodes[0]!.client.status()).height >= 1, 60_000)
    await new Promise((r) => setTimeout(r, settleSeconds * 1_000))
    const idle = await measure(cluster, idleSeconds)
    const latencies = (await idleLatencies(cluster, 11)).sort((a, b) => a - b)
    let sent = 0
    const loaded = await measure(cluster, loadSeconds, async (until) => {
      sent = await steadyLoad(cluster, until)
    })
    const rows: Array<[string, string, string, string]> = [
      ['blocks per second', (idle.blocks / idle.seconds).toFixed(2), (loaded.blocks / loaded.seconds).toFixed(2), ''],
      ['CPU per node, % of a core', fmt(idle.cpuPercent), fmt(loaded.cpuPercent), 'idle <= 2'],
      ['RSS per node, MiB (mean of samples)', fmt(idle.rssMeanMiB), fmt(loaded.rssMeanMiB), 'idle <= 120'],
      ['RSS per node, MiB (highest sample)', fmt(idle.rssMaxMiB), fmt(loaded.rssMaxMiB), ''],
      ['RSS per node / bare node process', fmt(idle.rssMeanMiB.map((m) => m / bareMiB), 2), fmt(loaded.rssMeanMiB.map((m) => m / bareMiB), 2), ''],
      ['disk growth per node, MiB per hour', fmt(idle.diskPerHourMiB, 2), fmt(loaded.diskPerHourMiB, 2), ''],
      ['disk growth per node, MB per day', fmt(idle.diskPerHourMiB.map((m) => (m * 24 * MIB) / 1e6), 0), fmt(loaded.diskPerHourMiB.map((m) => (m * 24 * MIB) / 1e6), 0), 'idle <= 100'],
    ]
    console.log(`\n4 validators, idle ${idle.seconds.toFixed(0)} s, then ${rate} tx/s for ${loaded.seconds.toFixed(0)} s (${sent} sent); per node: mean (min..max)`)
    console.log('| what | idle | under load | aim |\n|---|---|---|---|')
    for (const [what, a, b, aim] of rows) console.log(`| ${what} | ${a} | ${b} | ${aim} |`)
    console.log(`\nidle network, a transaction at a time: commit latency p50 ${latencies[5]!.toFixed(0)} ms, min ${latencies[0]!.toFixed(0)}, max ${latencies[10]!.toFixed(0)} ms (aim: p50 < 250 ms; heartbeat ${emptyBlockIntervalMs} ms)`)
  } finally {
    await cluster.stop()
  }
}

await main()
