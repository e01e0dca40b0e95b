// `npm run attack [-- --short] [--only a,b] [--json FILE] [--keep]`: starts a network of 4
// validator processes and runs each attack of attack/catalog.ts against it from a separate
// attacker process (attack/attacker.ts), measuring through the node's HTTP API and /proc only.
// Per attack: the undisturbed rate (heights/s, measured in this run), the chain's rate during the
// attack, RSS before/peak/after, exits, the attacker's lowest score and its bans, and a verdict
// on issue 10's criteria. Prints a markdown table; exits 1 if any attack fails.

import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { ATTACKER_NICENESS, AttackerProcess } from './attacker-process.ts'
import { type AttackSpec, CATALOG } from './catalog.ts'
import { type AttackResult, type NodeMeasure, type TargetBan, details, judge, table } from './report.ts'
import { type HeightSample, RSS_KILL_BYTES, VALIDATORS, Victims } from './victims.ts'

interface Timings {
  /** How long the undisturbed rate is measured. */
  baselineMs: number
  /** A baseline older than this is measured again before the next attack. */
  baselineMaxAgeMs: number
  /** The attack window over which the chain's rate is measured. */
  windowMs: number
  /** From the attack's start: an attacker that sent invalid data must be banned by then. */
  banDeadlineMs: number
  /** After an attack: how long the network may take to commit again before it is restarted. */
  recoverMs: number
}

const FULL: Timings = { baselineMs: 10_000, baselineMaxAgeMs: 0, windowMs: 30_000, banDeadlineMs: 60_000, recoverMs: 30_000 }
// the ban deadline is the issue's minute in both: it costs time only when a ban is missing
const SHORT: Timings = { baselineMs: 5_000, baselineMaxAgeMs: 0, windowMs: 10_000, banDeadlineMs: 60_000, recoverMs: 20_000 }
/** Heights the chain must add, with every node within SPREAD of the top, to count as recovered. */
const RECOVER_HEIGHTS = 3
const SPREAD = 5
const READY_MS = 90_000
const WATCH_EVERY_MS = 500
/** How long to wait for each node's first answer after the window closes. */
const LATE_ANSWER_MS = 5_000

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`)
}

function parseFlags(argv: string[]): { short: boolean; only: string[] | undefined; json: string | undefined; keep: boolean } {
  const flags = { short: false, only: undefined as string[] | undefined, json: undefined as string | undefined, keep: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--short') flags.short = true
    else if (a === '--keep') flags.keep = true
    else if (a === '--only') flags.only = (argv[++i] ?? '').split(',').filter(Boolean)
    else if (a === '--json') flags.json = argv[++i]
    else throw new Error(`unknown flag ${a} (flags: --short, --only a,b, --json FILE, --keep)`)
  }
  const unknown = flags.only?.filter((n) => !CATALOG.some((s) => s.name === n)) ?? []
  if (unknown.length > 0) throw new Error(`unknown attack ${unknown.join(', ')}; known: ${CATALOG.map((s) => s.name).join(', ')}`)
  return flags
}

/** Chain rate (the best node's height over time) and each node's, between now and `ms` from now. */
async function measureRate(v: Victims, ms: number): Promise<number> {
  const t0 = Date.now()
  const h0 = Math.max(...v.nodes.map((_, i) => v.heightAt(i, t0) ?? 0))
  await sleep(ms)
  const t1 = Date.now()
  const h1 = Math.max(...v.nodes.map((_, i) => v.heightAt(i, t1) ?? 0))
  return (h1 - h0) / ((t1 - t0) / 1000)
}

/** Every node running, the chain RECOVER_HEIGHTS further on, and no node more than SPREAD behind. */
async function recovered(v: Victims, ms: number): Promise<boolean> {
  if (!v.alive()) return false
  const top = () => Math.max(...v.latest().map((h) => h ?? 0))
  const start = top()
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!v.alive()) return false
    const heights = v.latest()
    if (top() >= start + RECOVER_HEIGHTS && heights.every((h) => h !== undefined && h >= top() - SPREAD)) return true
    await sleep(200)
  }
  return false
}

/** Reads the attacker's row in each target's /peers and its entry in /bans until stopped. */
function watchAttacker(v: Victims, spec: AttackSpec, peerId: string, t0: number): { bans: TargetBan[]; stop: () => Promise<void> } {
  const bans: TargetBan[] = spec.targets.map((i) => ({ node: v.nodes[i]!.name, minScore: undefined, bannedAfterMs: undefined }))
  let running = true
  const loops = spec.targets.map(async (i, k) => {
    const client = v.nodes[i]!.client
    const ban = bans[k]!
    while (running) {
      const [peers, banned] = await Promise.allSettled([client.peers(), client.bans()])
      if (peers.status === 'fulfilled') {
        const row = peers.value.find((p) => p.peerId === peerId)
        if (row && (ban.minScore === undefined || row.score < ban.minScore)) ban.minScore = row.score
      }
      if (banned.status === 'fulfilled' && ban.bannedAfterMs === undefined && banned.value.some((b) => b.peerId === peerId)) ban.bannedAfterMs = Date.now() - t0
      await sleep(WATCH_EVERY_MS)
    }
  })
  return {
    bans,
    stop: async () => {
      running = false
      await Promise.all(loops)
    },
  }
}

async function runAttack(spec: AttackSpec, v: Victims, baselineRate: number, t: Timings): Promise<AttackResult> {
  const result: AttackResult = {
    ...emptyResult(spec, t, baselineRate),
    bans: spec.targets.map((i) => ({ node: v.nodes[i]!.name, minScore: undefined, bannedAfterMs: undefined })),
  }
  const exitsBefore = v.exits.length
  const runMs = spec.invalid ? t.banDeadlineMs : t.windowMs
  const attacker = new AttackerProcess(
    spec.name,
    {
      network: v.network,
      entity: v.entity,
      targets: spec.targets.map((i) => v.nodes[i]!.multiaddr),
      durationMs: runMs + 5_000, // the runner stops it; this is its own backstop
      validators: VALIDATORS,
      ...(spec.holdsKeyOf !== undefined ? { home: v.nodes[spec.holdsKeyOf]!.home } : {}),
    },
    join(v.dir, 'logs', `attacker-${spec.name}.log`),
  )
  try {
    if (!(await attacker.ready(READY_MS)) || attacker.state.peerId === undefined) {
      result.attackerErrors.push(...attacker.state.errors)
      result.failures.push(`the attacker did not start${attacker.state.errors[0] ? `: ${attacker.state.errors[0]}` : ''}`)
      return result
    }
    const t0 = attacker.state.readyAt!
    if (attacker.state.reached.length < spec.targets.length) result.notes.push(`attacker reached ${attacker.state.reached.length} of ${spec.targets.length} targets`)
    const rssBefore = v.nodes.map((_, i) => v.rss(i))
    v.resetPeaks()
    const watch = watchAttacker(v, spec, attacker.state.peerId, t0)
    result.bans = watch.bans
    log(`${spec.name}: attacking ${spec.targets.map((i) => v.nodes[i]!.name).join(' ')} for ${t.windowMs / 1000} s`)
    await sleep(Math.max(0, t0 + t.windowMs - Date.now()))
    const t1 = t0 + t.windowMs

    // the window's rates: each node from its last answer before the start to its first after the
    // end; a node silent past the end counts with what it said last, over the whole window (a
    // lower bound: its height is at least that)
    const ends = await Promise.all(v.nodes.map((_, i) => v.heightAfter(i, t1, LATE_ANSWER_MS, t0)))
    const rateOf = (from: number | undefined, end: HeightSample | undefined) => (from === undefined || end === undefined ? undefined : (end.height - from) / ((Math.max(end.at, t1) - t0) / 1000))
    result.nodes = v.nodes.map((n, i): NodeMeasure => ({
      node: n.name,
      rate: rateOf(v.heightAt(i, t0), ends[i]),
      heightStart: v.heightAt(i, t0),
      heightEnd: ends[i]?.height,
      silentMs: v.longestSilence(i, t0, t1),
      rssBefore: rssBefore[i],
      rssPeak: 0,
      rssAfter: undefined,
    }))
    const best = ends.reduce<HeightSample | undefined>((a, e) => (e !== undefined && (a === undefined || e.height > a.height) ? e : a), undefined)
    result.chainRate = rateOf(Math.max(...v.nodes.map((_, i) => v.heightAt(i, t0) ?? 0)), best)

    // an attacker that sent invalid data keeps attacking until every target has banned it
    if (spec.invalid) {
      while (Date.now() < t0 + t.banDeadlineMs && watch.bans.some((b) => b.bannedAfterMs === undefined)) await sleep(WATCH_EVERY_MS)
    }
    await attacker.stop()
    result.attackSeconds = (Date.now() - t0) / 1000
    await watch.stop()
    const peaks = v.peaks()
    result.nodes.forEach((n, i) => {
      n.rssPeak = peaks[i]!
      n.rssAfter = v.rss(i)
    })
  } finally {
    await attacker.stop()
    Object.assign(result, { sent: attacker.state.sent, bytes: attacker.state.bytes, what: attacker.state.what, attackerCpuSeconds: attacker.state.cpuSeconds })
    result.attackerErrors.push(...attacker.state.errors.filter((e) => !result.attackerErrors.includes(e)))
    result.exits = v.exits.slice(exitsBefore)
  }
  return result
}

function notRun(spec: AttackSpec, why: string, t: Timings): AttackResult {
  return { ...emptyResult(spec, t, 0), failures: [why] }
}

/** A result with nothing measured yet. */
function emptyResult(spec: AttackSpec, t: Timings, baselineRate: number): AttackResult {
  return {
    spec,
    windowMs: t.windowMs,
    banDeadlineMs: t.banDeadlineMs,
    baselineRate,
    chainRate: undefined,
    nodes: [],
    bans: [],
    exits: [],
    sent: 0,
    bytes: 0,
    what: '',
    attackerErrors: [],
    attackerCpuSeconds: 0,
    attackSeconds: 0,
    notes: [],
    failures: [],
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2))
  if (flags.keep) process.env['KEEP_E2E'] = '1'
  const timings = flags.short ? SHORT : FULL
  const specs = CATALOG.filter((s) => !flags.only || flags.only.includes(s.name))
  const started = Date.now()
  const loadAtStart = loadavg()[0]!
  log(`attack suite (${flags.short ? 'short' : 'full'}): ${specs.map((s) => s.name).join(', ')}; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`)

  let victims = await Victims.start()
  log(`network of ${VALIDATORS} validators up in ${victims.dir}`)
  let baseline: { rate: number; at: number } | undefined
  const results: AttackResult[] = []
  try {
    for (const spec of specs) {
      const healthy = victims.alive() && (await recovered(victims, timings.recoverMs))
      if (!healthy) {
        log('the network is not committing: starting a fresh one')
        await victims.stop()
        try {
          victims = await Victims.start()
        } catch (err) {
          // no network, no measurements: the attacks left are reported as not run
          const why = `not run: no network could be started (${(err as Error).message.split('\n')[0]})`
          for (const rest of specs.slice(specs.indexOf(spec))) results.push(notRun(rest, why, timings))
          break
        }
        baseline = undefined
      }
      if (!baseline || Date.now() - baseline.at > timings.baselineMaxAgeMs) {
        const rate = await measureRate(victims, timings.baselineMs)
        baseline = { rate, at: Date.now() }
        log(`undisturbed rate ${rate.toFixed(2)} heights/s`)
      }
      const result = await runAttack(spec, victims, baseline.rate, timings)
      // a node that dies while the network recovers died of the attack too
      const exitsBefore = victims.exits.length
      if (!(await recovered(victims, timings.recoverMs))) result.notes.push(`the network did not commit ${RECOVER_HEIGHTS} heights within ${timings.recoverMs / 1000} s after the attack`)
      result.exits.push(...victims.exits.slice(exitsBefore))
      judge(result)
      results.push(result)
      log(`${spec.name}: ${result.failures.length === 0 ? 'PASS' : `FAIL (${result.failures.join('; ')})`}`)
    }
  } finally {
    await victims.stop().catch(() => {})
  }

  const failed = results.filter((r) => r.failures.length > 0)
  const minutes = ((Date.now() - started) / 60_000).toFixed(1)
  process.stdout.write(
    [
      `## Attack suite (${flags.short ? 'short' : 'full'}): ${results.length - failed.length} passed, ${failed.length} failed, ${minutes} min`,
      '',
      `Window ${timings.windowMs / 1000} s per attack; undisturbed rate measured over ${timings.baselineMs / 1000} s in the same run; ` +
        `ban deadline ${timings.banDeadlineMs / 1000} s from the attack's start; a node past ${RSS_KILL_BYTES / 1024 ** 3} GiB RSS is killed by the runner. ` +
        `Attackers run at nice +${ATTACKER_NICENESS} relative to the nodes. ${cpus().length} cores, load average ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
      '',
      table(results),
      '',
      details(results),
      '',
    ].join('\n'),
  )
  if (flags.json) {
    mkdirSync(dirname(flags.json), { recursive: true })
    writeFileSync(flags.json, `${JSON.stringify({ mode: flags.short ? 'short' : 'full', timings, minutes: Number(minutes), results }, null, 2)}\n`)
  }
  process.exit(failed.length > 0 ? 1 : 0)
}

main().catch((err: Error) => {
  process.stderr.write(`attack suite failed: ${err.stack ?? err.message}\n`)
  process.exit(2)
})
