// One perturbation from start to recovery: wait for its trigger, inject it, watch the network
// while it lasts (when no group of connected, running validators holds a quorum, no block
// proposed after the cut may commit; every group that holds one must keep committing), heal it,
// and time how long until every node has moved past the height at the heal, has its minimum of
// peers, and every running validator has signed a block since. All is read through the APIs.

import type { ChainCheck, Violation } from './chain-check.ts'
import type { Backend } from './backend.ts'
import { type Manifest, type Perturbation, holdsQuorum } from './manifest.ts'
import type { NodeProcesses, RunNode } from './nodes.ts'
import { TimeoutError, sleep, waitFor } from './wait.ts'

/** A group of connected nodes needs this long past the settle time before "no block" is a failure. */
const MIN_WINDOW_FOR_PROGRESS_MS = 3_000
const POLL_MS = 500
/** A block's timestamp this long after the cut means it was proposed after it. */
const PROPOSED_AFTER_MARGIN_MS = 250
/** Seconds per block the trigger may take, at worst, before the run gives up waiting for it. */
const TRIGGER_SECONDS_PER_BLOCK = 3
const MIN_TRIGGER_WAIT_MS = 60_000

export interface FaultContext {
  manifest: Manifest
  hosts: Backend
  procs: NodeProcesses
  chain: ChainCheck
  threshold: { numerator: number; denominator: number }
  /** When the network was up (first block everywhere). */
  t0: number
}

export interface FaultResult {
  label: string
  atHeight: number
  downSeconds: number
  /** What the run expected while the fault lasted, and what it saw. */
  expected: string
  seen: string
  recoverySeconds: number | null
  violations: Violation[]
}

export interface Sample {
  height: number
  peers: number
}

/** Height and peers of each node that answers now. */
export async function sample(nodes: RunNode[]): Promise<Map<string, Sample>> {
  const out = new Map<string, Sample>()
  await Promise.all(
    nodes.map(async (n) => {
      try {
        const s = await n.client.status()
        out.set(n.spec.name, { height: s.height, peers: s.peers })
      } catch {
        // down, paused or slow: absent from the sample
      }
    }),
  )
  return out
}

export function label(p: Perturbation): string {
  switch (p.kind) {
    case 'partition':
      return `partition ${p.groups.map((g) => g.join('+')).join(' | ')}`
    case 'disconnect':
      return `disconnect ${p.host}`
    default:
      return `${p.kind} ${p.node}`
  }
}

/** The groups of node names that can reach each other while the fault lasts. */
function groupsDuring(p: Perturbation, ctx: FaultContext): string[][] {
  const running = ctx.procs.running().map((n) => n.spec.name)
  switch (p.kind) {
    case 'kill':
    case 'pause':
    case 'leave':
      return [running.filter((n) => n !== p.node)]
    case 'join':
      return [[...running, p.node]]
    case 'disconnect': {
      const cut = ctx.procs.nodes.filter((n) => n.host === p.host).map((n) => n.spec.name)
      return [running.filter((n) => !cut.includes(n)), running.filter((n) => cut.includes(n))].filter((g) => g.length > 0)
    }
    case 'partition':
      return p.groups.map((hosts) => running.filter((n) => hosts.includes(ctx.procs.node(n).host))).filter((g) => g.length > 0)
  }
}

async function waitTrigger(p: Perturbation, ctx: FaultContext): Promise<void> {
  if ('time' in p.at) {
    const wait = ctx.t0 + p.at.time * 1000 - Date.now()
    if (wait > 0) await sleep(wait)
    return
  }
  const target = p.at.height
  const timeout = Math.max(MIN_TRIGGER_WAIT_MS, target * TRIGGER_SECONDS_PER_BLOCK * 1000)
  await waitFor(
    `height ${target}`,
    async () => {
      // Keep the chain check current while waiting: the load reads it to tell committed transactions from lost ones.
      for (const n of ctx.procs.up()) await ctx.chain.verify(n)
      return Math.max(0, ...[...(await sample(ctx.procs.up())).values()].map((s) => s.height)) >= target
    },
    timeout,
    POLL_MS,
  )
}

/** Starts the fault: through the node processes or the back end's network. */
export async function inject(p: Perturbation, ctx: Pick<FaultContext, 'procs' | 'hosts'>): Promise<void> {
  switch (p.kind) {
    case 'kill':
      return ctx.procs.kill(p.node)
    case 'pause':
      return ctx.procs.pause(p.node)
    case 'disconnect':
      return ctx.hosts.disconnect(p.host)
    case 'partition':
      return ctx.hosts.partition(p.groups)
    case 'join':
      return ctx.procs.start(p.node)
    case 'leave':
      return ctx.procs.stop(p.node)
  }
}

export async function heal(p: Perturbation, ctx: Pick<FaultContext, 'procs' | 'hosts'>): Promise<void> {
  switch (p.kind) {
    case 'kill':
      return ctx.procs.restart(p.node)
    case 'pause':
      return ctx.procs.resume(p.node)
    case 'disconnect':
      return ctx.hosts.reconnect(p.host)
    case 'partition':
      return ctx.hosts.heal()
    default:
      return
  }
}

function maxIn(s: Map<string, Sample>, names: string[]): number | undefined {
  const hs = names.flatMap((n) => (s.has(n) ? [s.get(n)!.height] : []))
  return hs.length ? Math.max(...hs) : undefined
}

export async function runFault(p: Perturbation, ctx: FaultContext): Promise<FaultResult> {
  const violations: Violation[] = []
  await waitTrigger(p, ctx)
  const before = await sample(ctx.procs.up())
  const atHeight = Math.max(0, ...[...before.values()].map((s) => s.height))
  const validators = ctx.procs.nodes.filter((n) => n.spec.role === 'validator')
  const total = validators.reduce((sum, v) => sum + v.spec.shares, 0)
  const groups = groupsDuring(p, ctx)
  const quorate = groups.map((g) => holdsQuorum(g.reduce((sum, n) => sum + ctx.procs.node(n).spec.shares, 0), total, ctx.threshold))
  const expected = quorate.some(Boolean)
    ? groups.map((g, i) => `${g.join('+')}: ${quorate[i] ? 'commits' : 'no quorum'}`).join(', ')
    : 'no blocks anywhere (no group holds a quorum)'
  const injected = Date.now()
  await inject(p, ctx)
  const cut = Date.now()

  let seen = 'n/a'
  if (p.downSeconds > 0) {
    await sleep(Math.min(p.downSeconds, ctx.manifest.settleSeconds) * 1000)
    const settled = Date.now()
    const base = await sample(ctx.procs.up())
    await sleep(Math.max(0, injected + p.downSeconds * 1000 - Date.now()))
    const end = await sample(ctx.procs.up())
    const parts: string[] = []
    const window = Date.now() - settled
    for (const [i, g] of groups.entries()) {
      const from = maxIn(base, g)
      const to = maxIn(end, g)
      parts.push(`${g.join('+')}: ${from ?? '?'} -> ${to ?? '?'}`)
      if (from === undefined || to === undefined) continue
      if (quorate[i] && window >= MIN_WINDOW_FOR_PROGRESS_MS && to <= from) violations.push({ invariant: 'progress', message: `${label(p)}: ${g.join('+')} holds a quorum but stayed at ${from} for ${Math.round(window / 1000)} s` })
    }
    seen = parts.join(', ')
    if (!quorate.some(Boolean)) violations.push(...(await proposedAfter(cut, atHeight, end, ctx, label(p))))
  }

  const healStart = Date.now()
  await heal(p, ctx)
  const healHeight = Math.max(atHeight, ...[...(await sample(ctx.procs.up())).values()].map((s) => s.height))
  const recoverySeconds = await waitRecovery(`${label(p)}`, healHeight, ctx, violations, healStart)
  return { label: label(p), atHeight, downSeconds: p.downSeconds, expected, seen, recoverySeconds, violations }
}

/**
 * Blocks committed while no group held a quorum that were proposed after the cut. A height may
 * still rise then: votes sent before the cut can arrive, or be processed, seconds later on a
 * loaded machine. What no network without a quorum can do is agree on a block proposed after
 * the cut, and the proposer's timestamp says when that was (one clock for every host here).
 */
async function proposedAfter(cut: number, fromHeight: number, end: Map<string, Sample>, ctx: FaultContext, what: string): Promise<Violation[]> {
  const top = [...end.entries()].sort((a, b) => b[1].height - a[1].height)[0]
  if (!top || top[1].height <= fromHeight) return []
  const blocks = await ctx.procs.node(top[0]).client.blocks(Math.max(1, top[1].height - 99, fromHeight + 1), top[1].height).catch(() => [])
  return blocks
    .filter((b) => b.time > cut + PROPOSED_AFTER_MARGIN_MS)
    .map((b) => ({ invariant: 'no-progress' as const, message: `${what}: block ${b.height} was proposed ${b.time - cut} ms after the cut and committed with no group holding a quorum` }))
}

/**
 * Waits until every running node is past `height` with its minimum of peers and every running
 * validator has signed a block above it; returns the seconds since `since`, or null (and a
 * violation) when that takes longer than the manifest allows.
 */
export async function waitRecovery(what: string, height: number, ctx: FaultContext, violations: Violation[], since = Date.now()): Promise<number | null> {
  let missing = ''
  try {
    await waitFor(
      `recovery from ${what}`,
      async () => {
        const running = ctx.procs.running()
        const s = await sample(running)
        for (const n of running) await ctx.chain.verify(n)
        const signers = ctx.chain.signersAbove(height)
        const behind = running.filter((n) => (s.get(n.spec.name)?.height ?? -1) <= height).map((n) => n.spec.name)
        const lonely = running.filter((n) => (s.get(n.spec.name)?.peers ?? -1) < ctx.manifest.minPeers).map((n) => n.spec.name)
        const silent = running.filter((n) => n.validatorIndex >= 0 && !signers.has(n.validatorIndex)).map((n) => n.spec.name)
        missing = [behind.length ? `not past ${height}: ${behind.join(',')}` : '', lonely.length ? `below ${ctx.manifest.minPeers} peers: ${lonely.join(',')}` : '', silent.length ? `not signing: ${silent.join(',')}` : '']
          .filter(Boolean)
          .join('; ')
        return missing === ''
      },
      ctx.manifest.recoverWithinSeconds * 1000 - (Date.now() - since),
      POLL_MS,
    )
    return (Date.now() - since) / 1000
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err
    violations.push({ invariant: 'recovery', message: `${what}: not recovered within ${ctx.manifest.recoverWithinSeconds} s (${missing})` })
    return null
  }
}
