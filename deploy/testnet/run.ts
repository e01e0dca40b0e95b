// `npm run testnet -- <manifest.json>`: runs a testnet from a manifest on local hosts (one
// network namespace per host, see local-hosts.ts) or, when its hosts name ssh targets, on VPS
// hosts (ssh-hosts.ts); injects its perturbations, checks the invariants through each node's
// API, prints a report and exits non-zero if one failed. Whatever happens (a failure, Ctrl-C,
// SIGTERM), the nodes are stopped and what the run changed on the hosts is undone before it
// exits; `--cleanup` removes the namespaces and links of a local run that was SIGKILLed.
//
//   --keep              keep the homes and logs (always kept when the run fails)
//   --cleanup           remove the namespaces and links of an earlier local run, then exit
//   --skip-unavailable  exit 0 with "testnet: skipped: <why>" where namespaces cannot be made
//   --plan              ssh manifests: print every command the run would send, send nothing

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { Backend } from './backend.ts'
import { ChainCheck, type Violation } from './chain-check.ts'
import { type FaultContext, type FaultResult, runFault, sample, waitRecovery } from './faults.ts'
import { Load } from './load.ts'
import { LocalHosts, netnsAvailable, removeLeftovers } from './local-hosts.ts'
import { type Manifest, backendKind, parseManifest } from './manifest.ts'
import { NodeProcesses, makeNodes } from './nodes.ts'
import { formatPlan, sshPlan } from './plan.ts'
import { formatReport } from './report.ts'
import { SshHosts } from './ssh-hosts.ts'
import { TimeoutError, waitFor } from './wait.ts'

const FIRST_BLOCK_WITHIN_MS = 90_000
const EXIT_FAILED = 1
const EXIT_USAGE = 2
const EXIT_INTERRUPTED = 130

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { keep: { type: 'boolean' }, cleanup: { type: 'boolean' }, 'skip-unavailable': { type: 'boolean' }, plan: { type: 'boolean' } },
})

let hosts: Backend | undefined
let procs: NodeProcesses | undefined
let cleaning: Promise<void> | undefined
let workDir: string | undefined

/** Stops every node, collects the logs, then undoes what the run changed on the hosts; safe to call more than once. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await procs?.stopAll().catch(() => {})
    if (procs) await hosts?.collectLogs(procs.nodes).catch(() => {})
    await hosts?.destroy().catch(() => {})
  })()
  return cleaning
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\ntestnet: ${signal}, cleaning up${workDir ? ` (homes and logs kept in ${workDir})` : ''}\n`)
    void cleanup().finally(() => process.exit(EXIT_INTERRUPTED))
  })
}

async function main(): Promise<number> {
  if (values.cleanup) {
    await removeLeftovers()
    process.stdout.write('testnet: removed the namespaces and links of earlier runs\n')
    return 0
  }
  if (positionals.length !== 1) {
    process.stderr.write('usage: npm run testnet -- <manifest.json> [--keep] [--skip-unavailable] [--plan] | --cleanup\n')
    return EXIT_USAGE
  }
  let manifest: Manifest
  try {
    manifest = parseManifest(JSON.parse(await readFile(positionals[0]!, 'utf8')))
  } catch (err) {
    process.stderr.write(`testnet: ${positionals[0]}: ${(err as Error).message}\n`)
    return EXIT_USAGE
  }
  const kind = backendKind(manifest)
  if (values.plan) {
    if (kind !== 'ssh') {
      process.stderr.write('testnet: --plan is for manifests whose hosts name ssh targets (local hosts run `ip` commands on this machine: deploy/testnet/README.md)\n')
      return EXIT_USAGE
    }
    const scratch = await mkdtemp(join(tmpdir(), `p2pnode-plan-${manifest.name}-`))
    try {
      process.stdout.write(`${formatPlan(await sshPlan(manifest, scratch))}\n`)
    } finally {
      await rm(scratch, { recursive: true, force: true })
    }
    return 0
  }
  if (kind === 'local') {
    const available = await netnsAvailable()
    if (!available.ok) {
      process.stdout.write(`testnet: skipped: ${available.reason}\n`)
      return values['skip-unavailable'] ? 0 : EXIT_USAGE
    }
  }

  const started = Date.now()
  const dir = await mkdtemp(join(tmpdir(), `p2pnode-testnet-${manifest.name}-`))
  workDir = dir
  const violations: Violation[] = []
  const faults: FaultResult[] = []
  const chain = new ChainCheck()
  let load: Load | undefined
  let loadDone: Promise<void> | undefined
  const log = (line: string) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}\n`)
  try {
    hosts = kind === 'ssh' ? new SshHosts(manifest.hosts, { workDir: dir, runName: manifest.name }) : await LocalHosts.create(manifest.hosts)
    const nodes = await makeNodes(manifest, hosts, dir)
    procs = new NodeProcesses(hosts, nodes)
    await hosts.install(nodes)
    log(`${nodes.length} ${kind} hosts up (${manifest.hosts.map((h) => `${h.name}=${h.address}`).join(' ')}); homes and logs in ${dir}`)
    const p = procs
    await Promise.all(nodes.filter((n) => !n.spec.deferred).map((n) => p.start(n.spec.name)))
    await waitFor('the first block on every node', async () => [...(await sample(p.running())).values()].filter((s) => s.height >= 1).length === p.running().length, FIRST_BLOCK_WITHIN_MS)
    const first = p.running()[0]!
    const status = await first.client.status()
    const entity = await first.client.entity()
    for (const n of p.running()) n.validatorIndex = (await n.client.status()).validatorIndex
    const ctx: FaultContext = { manifest, hosts, procs: p, chain, threshold: entity.threshold, t0: Date.now() }
    log(`network ${status.network} committing (height ${status.height}); threshold ${entity.threshold.numerator}/${entity.threshold.denominator}`)
    await waitRecovery('start', 0, ctx, violations)

    if (manifest.load) {
      const l = new Load(manifest.load, status.network, status.entity, () => p.up().map((n) => n.client), (h) => chain.txHeights.has(h))
      load = l
      loadDone = l.run()
      log(`load: ${l.stats.made} transactions at ${manifest.load.rate}/s for ${manifest.load.durationSeconds} s`)
    }

    for (const [i, perturbation] of manifest.perturbations.entries()) {
      const result = await runFault(perturbation, ctx)
      faults.push(result)
      violations.push(...result.violations)
      for (const n of p.running()) if (n.validatorIndex < 0 && n.spec.role === 'validator') n.validatorIndex = (await n.client.status()).validatorIndex
      log(`fault ${i + 1}/${manifest.perturbations.length}: ${result.label} at h${result.atHeight}: ${result.seen}; recovered in ${result.recoverySeconds?.toFixed(1) ?? 'NOT RECOVERED'}`)
    }

    if (load) {
      const l = load
      const hashes = l.hashes
      const drainMs = (manifest.load!.durationSeconds + manifest.recoverWithinSeconds * 2) * 1000
      try {
        await waitFor(
          'every load transaction committed',
          async () => {
            for (const n of p.up()) await chain.verify(n)
            return l.allSent && hashes.every((h) => chain.txHeights.has(h))
          },
          drainMs,
          1_000,
        )
      } catch (err) {
        if (!(err instanceof TimeoutError)) throw err
      }
      l.stop()
      await loadDone
      log('load done')
    }

    const tailFrom = Math.max(0, ...[...(await sample(p.running())).values()].map((s) => s.height))
    await waitRecovery(`the tail (${manifest.tailBlocks} blocks)`, tailFrom + manifest.tailBlocks - 1, ctx, violations)
    for (const n of p.running()) await chain.verify(n)
    if (load) {
      const missing = load.hashes.filter((h) => !chain.txHeights.has(h))
      const twice = load.hashes.filter((h) => (chain.txHeights.get(h)?.length ?? 0) > 1)
      if (missing.length) violations.push({ invariant: 'transactions', message: `${missing.length} of ${load.hashes.length} load transactions never committed (first ${missing[0]!.slice(0, 16)})` })
      if (twice.length) violations.push({ invariant: 'transactions', message: `${twice.length} load transactions committed more than once (${twice[0]!.slice(0, 16)} at ${chain.txHeights.get(twice[0]!)!.join(', ')})` })
    }
  } catch (err) {
    violations.push({ invariant: 'process', message: (err as Error).message })
  } finally {
    load?.stop()
  }

  const final = procs ? await sample(procs.running()) : new Map()
  violations.push(...chain.violations)
  const report = formatReport({
    manifest: manifest.name,
    seconds: (Date.now() - started) / 1000,
    nodes: (procs?.nodes ?? []).map((node) => ({ node, address: hosts!.address(node.host), sample: final.get(node.spec.name) })),
    faults,
    load: load ? { ...load.stats, committed: load.hashes.filter((h) => chain.txHeights.has(h)).length, duplicated: load.hashes.filter((h) => (chain.txHeights.get(h)?.length ?? 0) > 1).length } : null,
    violations,
  })
  await cleanup()
  process.stdout.write(`\n${report}\n`)
  if (violations.length === 0 && !values.keep) await rm(dir, { recursive: true, force: true })
  else process.stdout.write(`homes and logs kept in ${dir}\n`)
  return violations.length === 0 ? 0 : EXIT_FAILED
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`testnet: ${(err as Error).stack ?? String(err)}\n`)
    await cleanup()
    process.exit(EXIT_FAILED)
  },
)
