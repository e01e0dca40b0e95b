// `npm run bench:throughput`: a 4-validator network of separate node processes on this machine
// under a rising offered load. Prints finalized transactions per second at each step and at
// saturation, and commit latency p50 / p99 at half of saturation, beside node:crypto Ed25519
// verifies per second measured in the same run (every node verifies every transaction once).
//
//   npm run bench:throughput                      # default steps
//   npm run bench:throughput -- --steps 500,1000 --seconds 8
//
// The load goes in batch submissions (POST /transactions/batch) to all four nodes in turn. What
// is finalized is read without loading the nodes: the entity counter (every transaction adds 1),
// and for latency a sample of transactions followed to their commit.

import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { parseArgs } from 'node:util'
import { AccountSigner, TxKind, encodeCounterAdd, encodeTx, sha256, u64, utf8 } from '@p2pnode/core'
import { Cluster, waitFor } from '../test/e2e/cluster.ts'

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '250,500,1000,1500,2000,3000' },
    seconds: { type: 'string', default: '10' },
    accounts: { type: 'string', default: '400' },
  },
})
const steps = values.steps.split(',').map(Number)
const seconds = Number(values.seconds)
/** One transaction in this many is followed to its commit for the latency figures. */
const SAMPLE_EVERY = 20
const SUBMIT_EVERY_MS = 50

function verifiesPerSecond(): number {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const message = sha256(utf8('bench'))
  const signature = sign(null, message, privateKey)
  const start = process.hrtime.bigint()
  let n = 0
  while (Number(process.hrtime.bigint() - start) < 1e9) for (let i = 0; i < 100; i++, n++) verify(null, message, publicKey, signature)
  return n / (Number(process.hrtime.bigint() - start) / 1e9)
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const verifyRate = verifiesPerSecond()
console.log(`machine: node:crypto Ed25519 verify (one core, reused key): ${Math.round(verifyRate)} /s`)

const cluster = await Cluster.start({
  validators: 4,
  config: { api: { requestsPerSecond: 1_000_000 }, log: { level: 'warn' }, mempool: { maxTxs: 200_000, maxPerSender: 10_000 } },
})
try {
  const status = await cluster.nodes[0]!.client.status()
  const entity = Buffer.from(status.entity, 'hex')
  await waitFor('first blocks', async () => Math.min(...(await cluster.heights())) >= 2, 30_000)
  const accounts = Array.from({ length: Number(values.accounts) }, (_, i) => new AccountSigner(sha256(u64(i), utf8('bench-throughput'))))
  const nonces = accounts.map(() => 0)
  let next = 0
  const makeTx = () => {
    const a = next++ % accounts.length
    return encodeTx(accounts[a]!.signTransaction({ network: status.network, entity, nonce: nonces[a]!++, kind: TxKind.CounterAdd, payload: encodeCounterAdd(1) }))
  }

  const watched = cluster.nodes[1]!.client
  const counterAt: Array<{ t: number; counter: number }> = []
  const counterTimer = setInterval(() => void watched.entity().then((e) => counterAt.push({ t: Date.now(), counter: e.counter }), () => {}), 100)
  const counterAtTime = (t: number) => counterAt.findLast((c) => c.t <= t)?.counter ?? 0
  const sample = new Map<string, number>() // hash -> when it was submitted
  const committedAt = new Map<string, number>()
  let checking = false
  const closeEvents = watched.events((event) => {
    if (event.type !== 'block' || checking) return
    const pending = [...sample.keys()].filter((h) => !committedAt.has(h))
    if (pending.length === 0) return
    checking = true
    const now = Date.now()
    Promise.all(pending.map(async (h) => ((await watched.transactionStatus(h)).status === 'committed' ? committedAt.set(h, now) : undefined)))
      .catch(() => {})
      .finally(() => (checking = false))
  })
  const drained = () =>
    waitFor('mempools drained', async () => (await Promise.all(cluster.nodes.map((n) => n.client.status()))).every((s) => s.mempool.size === 0), 60_000, 250).catch(() => {})

  async function step(rate: number, duration: number) {
    // signed before the clock starts, so that the load generator's own work stays out of the step
    const txs = Array.from({ length: Math.round(rate * duration) }, makeTx)
    sample.clear()
    committedAt.clear()
    let refused = 0
    let accepted = 0
    const started = Date.now()
    const inflight = new Set<Promise<unknown>>()
    let i = 0
    // every transaction made is sent (a skipped nonce would strand the account's later ones)
    while (i < txs.length) {
      const due = Math.min(txs.length, Math.floor(((Date.now() - started) / 1000) * rate))
      const batches: Uint8Array[][] = cluster.nodes.map(() => [])
      while (i < due) batches[i % cluster.nodes.length]!.push(txs[i++]!)
      for (const [n, batch] of batches.entries()) {
        if (batch.length === 0) continue
        const t = Date.now()
        const p = cluster.nodes[n]!.client.submitTransactions(batch).then(
          (results) => {
            for (const r of results) {
              if (!('hash' in r)) refused++
              else if (++accepted % SAMPLE_EVERY === 0) sample.set(r.hash, t)
            }
          },
          () => (refused += batch.length),
        )
        inflight.add(p)
        void p.finally(() => inflight.delete(p))
      }
      await sleep(SUBMIT_EVERY_MS)
    }
    await Promise.all(inflight)
    const end = Date.now()
    await sleep(1500) // the last blocks of the window
    const finalized = counterAtTime(end + 1500) - counterAtTime(started)
    if (process.env["BENCH_DEBUG"]) console.log({ start: counterAtTime(started), end: counterAtTime(end + 1500), samples: counterAt.length, accepted, i })
    const latencies = [...sample.entries()].flatMap(([h, t]) => (committedAt.has(h) ? [committedAt.get(h)! - t] : [])).sort((a, b) => a - b)
    const elapsed = (end - started) / 1000
    return { offered: i / elapsed, finalized: finalized / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), refused, sampled: latencies.length }
  }

  const line = (r: Awaited<ReturnType<typeof step>>) =>
    `offered ${String(Math.round(r.offered)).padStart(5)} tx/s -> finalized ${String(Math.round(r.finalized)).padStart(5)} tx/s, ` +
    `commit latency p50 ${r.p50} ms p99 ${r.p99} ms (${r.sampled} sampled), refused ${r.refused}`
  // warm-up: JIT, gossip meshes, caches; not measured
  await step(steps[0]!, 4)
  await drained()
  let saturation = 0
  for (const rate of steps) {
    const r = await step(rate, seconds)
    saturation = Math.max(saturation, r.finalized)
    console.log(line(r))
    await drained()
    if (r.finalized < 0.8 * r.offered) break // past saturation: more offered load only queues
  }
  const half = await step(Math.round(saturation / 2), seconds)
  console.log(`half of saturation: ${line(half)}`)
  clearInterval(counterTimer)
  closeEvents()
  console.log(`saturation: ${Math.round(saturation)} finalized tx/s with 4 validators = ${(saturation / verifyRate).toFixed(2)} x one core's Ed25519 verifies`)
  console.log(`at half of saturation (${Math.round(half.offered)} tx/s offered): commit latency p50 ${half.p50} ms, p99 ${half.p99} ms`)
} finally {
  await cluster.stop()
}
