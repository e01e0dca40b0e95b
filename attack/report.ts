// One attack's measurements, its verdict against the four criteria of issue 10, and the table.

import type { AttackSpec } from './catalog.ts'
import type { Exit } from './victims.ts'

export const MIN_RATE_FRACTION = 0.5
export const MAX_RSS_GROWTH_BYTES = 100 * 1024 * 1024

export interface NodeMeasure {
  node: string
  /** Heights per second during the window, undefined when the node never answered after it. */
  rate: number | undefined
  heightStart: number | undefined
  heightEnd: number | undefined
  /** Longest time within the window in which the node's API did not answer. */
  silentMs: number
  rssBefore: number | undefined
  rssPeak: number
  rssAfter: number | undefined
}

export interface TargetBan {
  node: string
  /** Lowest score of the attacker in the node's /peers, undefined when never listed. */
  minScore: number | undefined
  /** Milliseconds from the attack's start to the ban showing in /bans. */
  bannedAfterMs: number | undefined
}

export interface AttackResult {
  spec: AttackSpec
  windowMs: number
  banDeadlineMs: number
  baselineRate: number
  chainRate: number | undefined
  nodes: NodeMeasure[]
  bans: TargetBan[]
  exits: Exit[]
  sent: number
  bytes: number
  what: string
  attackerErrors: string[]
  /** CPU the attacker process used, and how long it attacked (seconds). */
  attackerCpuSeconds: number
  attackSeconds: number
  notes: string[]
  failures: string[]
}

const MIB = 1024 * 1024
/** Status answers come every 0.3 s: a longer silence than this means a busy or frozen node. */
const API_SILENCE_NOTED_MS = 2_000

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MiB`
}

/** Fills `failures` from the measurements; returns whether the attack passed. */
export function judge(r: AttackResult): boolean {
  const f = r.failures
  const fraction = r.chainRate === undefined || r.baselineRate <= 0 ? 0 : r.chainRate / r.baselineRate
  if (fraction < MIN_RATE_FRACTION) f.push(`chain at ${fraction.toFixed(2)} of its undisturbed rate (needs ${MIN_RATE_FRACTION})`)
  for (const n of r.nodes) {
    const growth = n.rssBefore === undefined ? undefined : n.rssPeak - n.rssBefore
    if (growth !== undefined && growth > MAX_RSS_GROWTH_BYTES) f.push(`${n.node} RSS grew ${mib(growth)} (${mib(n.rssBefore!)} to ${mib(n.rssPeak)})`)
  }
  for (const e of r.exits) f.push(`${e.node} exited (${e.rss !== undefined ? `killed by the runner at ${mib(e.rss)} RSS` : e.signal ?? `code ${e.code}`})`)
  if (r.spec.invalid) {
    const late = r.bans.filter((b) => b.bannedAfterMs === undefined || b.bannedAfterMs > r.banDeadlineMs)
    if (late.length > 0) f.push(`not banned within ${r.banDeadlineMs / 1000} s by ${late.map((b) => b.node).join(', ')}`)
  }
  if (r.sent === 0) f.push('the attacker sent nothing')
  return f.length === 0
}

function fractionText(r: AttackResult): string {
  if (r.chainRate === undefined) return 'no answer'
  return `${(r.chainRate / r.baselineRate).toFixed(2)} (${r.chainRate.toFixed(2)} of ${r.baselineRate.toFixed(2)}/s)`
}

function slowestText(r: AttackResult): string {
  const rated = r.nodes.map((n) => ({ n, f: n.rate === undefined ? undefined : n.rate / r.baselineRate }))
  const silent = rated.filter((x) => x.f === undefined)
  if (silent.length > 0) return `${silent.map((x) => x.n.node).join(', ')} no answer`
  const slowest = rated.reduce((a, b) => (b.f! < a.f! ? b : a))
  const mute = r.nodes.reduce((a, b) => (b.silentMs > a.silentMs ? b : a))
  const api = mute.silentMs >= API_SILENCE_NOTED_MS ? `; ${mute.node} API silent ${(mute.silentMs / 1000).toFixed(1)} s` : ''
  return `${slowest.n.node} ${slowest.f!.toFixed(2)}${api}`
}

function rssText(r: AttackResult): string {
  const grown = r.nodes
    .filter((n) => n.rssBefore !== undefined)
    .map((n) => ({ n, growth: n.rssPeak - n.rssBefore! }))
    .sort((a, b) => b.growth - a.growth)[0]
  if (!grown) return 'n/a'
  const after = grown.n.rssAfter === undefined ? 'gone' : mib(grown.n.rssAfter)
  return `${grown.growth >= 0 ? '+' : ''}${mib(grown.growth)} ${grown.n.node} (${mib(grown.n.rssBefore!)}, peak ${mib(grown.n.rssPeak)}, after ${after})`
}

function banText(r: AttackResult): string {
  const scores = r.bans.map((b) => b.minScore).filter((s): s is number => s !== undefined)
  const score = scores.length === 0 ? 'not listed' : `min ${Math.min(...scores).toFixed(1)}`
  const banned = r.bans.filter((b) => b.bannedAfterMs !== undefined)
  const when = banned.length === 0 ? '' : ` (${(Math.min(...banned.map((b) => b.bannedAfterMs!)) / 1000).toFixed(1)}-${(Math.max(...banned.map((b) => b.bannedAfterMs!)) / 1000).toFixed(1)} s)`
  return `${score}; banned ${banned.length}/${r.bans.length}${when}`
}

export function table(results: AttackResult[]): string {
  const lines = [
    '| attack | sent | chain rate (x undisturbed) | slowest node | RSS: max growth (before, peak, after) | exits | attacker score; bans | ban needed | result |',
    '|---|---|---|---|---|---|---|---|---|',
  ]
  for (const r of results) {
    const exits = r.exits.length === 0 ? 'none' : r.exits.map((e) => e.node).join(', ')
    const perSecond = r.attackSeconds > 0 ? ` (${(r.sent / r.attackSeconds).toFixed(r.sent / r.attackSeconds < 10 ? 1 : 0)}/s)` : ''
    lines.push(
      `| ${r.spec.name} | ${r.sent.toLocaleString('en')} msgs${perSecond}, ${mib(r.bytes)} | ${fractionText(r)} | ${slowestText(r)} | ${rssText(r)} | ${exits} | ${banText(r)} | ${r.spec.invalid ? 'yes' : 'no'} | ${r.failures.length === 0 ? 'PASS' : 'FAIL'} |`,
    )
  }
  return lines.join('\n')
}

export function details(results: AttackResult[]): string {
  const out: string[] = []
  for (const r of results) {
    out.push(`- **${r.spec.name}** (${r.spec.targets.length} targets; ban ${r.spec.invalid ? 'needed' : 'not needed'}: ${r.spec.why})`)
    out.push(`  - sent: ${r.what || 'nothing'} (attacker: ${r.attackerCpuSeconds.toFixed(1)} s of CPU in ${r.attackSeconds.toFixed(0)} s)`)
    out.push(
      `  - heights/s: ${r.nodes.map((n) => `${n.node} ${n.rate === undefined ? '?' : n.rate.toFixed(2)} (${n.heightStart ?? '?'}->${n.heightEnd ?? '?'}, API silent up to ${(n.silentMs / 1000).toFixed(1)} s)`).join(', ')}; undisturbed ${r.baselineRate.toFixed(2)}`,
    )
    out.push(`  - RSS before/peak/after: ${r.nodes.map((n) => `${n.node} ${n.rssBefore === undefined ? '?' : mib(n.rssBefore)}/${mib(n.rssPeak)}/${n.rssAfter === undefined ? 'gone' : mib(n.rssAfter)}`).join(', ')}`)
    out.push(
      `  - attacker in /peers and /bans: ${r.bans.map((b) => `${b.node} score ${b.minScore === undefined ? 'unlisted' : b.minScore.toFixed(1)}, ${b.bannedAfterMs === undefined ? 'not banned' : `banned at ${(b.bannedAfterMs / 1000).toFixed(1)} s`}`).join('; ')}`,
    )
    for (const note of [...r.notes, ...r.attackerErrors.map((e) => `attacker error: ${e}`)]) out.push(`  - ${note}`)
    if (r.failures.length > 0) out.push(`  - FAIL: ${r.failures.join('; ')}`)
  }
  return out.join('\n')
}
