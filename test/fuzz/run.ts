// One fuzz run of one decoder: N cases from fast-check with a fixed seed, each judged by
// outcomeOf, then the fixed probes (probes.ts). The property never fails during the run, so
// every case is counted (values, coded errors by code, failures by signature). Afterwards each
// distinct failure is replayed alone from its run index (fast-check's seed + path) and shrunk to
// a small input with the same signature; a failing probe is shrunk to its smallest failing depth.

import fc from 'fast-check'
import type { Bytes } from '../../packages/core/src/bytes.ts'
import { type Decoder, type FuzzCase, type Outcome, outcomeOf } from './decoder.ts'
import { cases } from './generators.ts'
import { type Probe, type ProbeLevel, probeBytes, probesFor } from './probes.ts'

/** A decoder with state starts over this often, so one bad case cannot colour all later ones. */
const FRESH_EVERY = 250
/** Shrinking one failure stops after this long; the smallest failing input found so far is kept. */
const SHRINK_MS = 10_000
/** A case slower than this is counted as slow (reported, not a failure: timing is not the property). */
export const SLOW_MS = 500

export interface FailureGroup {
  signature: string
  /** The first error seen with this signature, in full. */
  error: string
  count: number
  /** Index of the first case that failed this way (replayable with the run's seed); -1 for a probe. */
  run: number
  origin: string
  input: Bytes
  /** Set when the failure came from a probe: saved by description, not bytes. */
  probe?: Probe
  /** The shrunk input (or probe), when shrinking reproduced the failure. */
  shrunk?: Bytes
  shrunkProbe?: Probe
  shrunkError?: string
}

export interface FuzzReport {
  name: string
  cases: number
  values: number
  codes: Record<string, number>
  failures: FailureGroup[]
  ms: number
  slow: number
  slowest: { ms: number; bytes: number; origin: string }
}

export interface FuzzOptions {
  cases: number
  seed: number
  /** Shrink each distinct failure (default true); off in `npm test`, where only the count matters. */
  shrink?: boolean
  /** Deep-nesting probes: full in `npm run fuzz`, light (shallow, fast) in `npm test`. */
  probes?: ProbeLevel
}

export async function fuzz(d: Decoder, options: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = { name: d.name, cases: 0, values: 0, codes: {}, failures: [], ms: 0, slow: 0, slowest: { ms: 0, bytes: 0, origin: '' } }
  const groups = new Map<string, FailureGroup>()
  const record = (c: FuzzCase, run: number, outcome: Outcome, ms: number, probe?: Probe) => {
    report.cases++
    if (ms > SLOW_MS) report.slow++
    if (ms > report.slowest.ms) report.slowest = { ms, bytes: c.bytes.length, origin: c.origin }
    if (outcome.kind === 'value') report.values++
    else if (outcome.kind === 'coded') report.codes[outcome.code] = (report.codes[outcome.code] ?? 0) + 1
    else {
      const group = groups.get(outcome.signature)
      if (group) group.count++
      else groups.set(outcome.signature, { signature: outcome.signature, error: outcome.error, count: 1, run, origin: c.origin, input: c.bytes.slice(), ...(probe ? { probe } : {}) })
    }
  }
  const started = performance.now()
  await d.fresh?.()
  let run = 0
  const property = fc.asyncProperty(cases(d), async (c: FuzzCase) => {
    if (d.fresh && run > 0 && run % FRESH_EVERY === 0) await d.fresh()
    const t0 = performance.now()
    const outcome = await outcomeOf(d, c)
    record(c, run++, outcome, performance.now() - t0)
    return true
  })
  await fc.check(property, { numRuns: options.cases, seed: options.seed })
  for (const probe of probesFor(d, options.probes ?? 'full')) {
    await d.fresh?.()
    const c: FuzzCase = { bytes: probeBytes(d, probe), origin: `probe ${probe.kind} ${probe.depth}` }
    const t0 = performance.now()
    const outcome = await outcomeOf(d, c)
    record(c, -1, outcome, performance.now() - t0, probe)
  }
  report.ms = performance.now() - started
  report.failures = [...groups.values()]
  if (options.shrink !== false) {
    for (const group of report.failures) await (group.probe ? shrinkProbe(d, group, group.probe) : shrink(d, options.seed, group))
  }
  return report
}

async function failsAs(d: Decoder, bytes: Bytes, signature: string): Promise<Outcome | undefined> {
  await d.fresh?.()
  const outcome = await outcomeOf(d, { bytes, origin: 'shrink' })
  return outcome.kind === 'failure' && outcome.signature === signature ? outcome : undefined
}

/** Replays the group's first failing case from its path and lets fast-check shrink it. */
async function shrink(d: Decoder, seed: number, group: FailureGroup): Promise<void> {
  const property = fc.asyncProperty(cases(d), async (c: FuzzCase) => !(await failsAs(d, c.bytes, group.signature)))
  const result = await fc.check(property, { seed, path: String(group.run), plugins: [fc.interruptAfterTimeLimit(SHRINK_MS)] })
  const counterexample = (result.counterexample as [FuzzCase] | null)?.[0]
  if (!result.failed || !counterexample) return
  const outcome = await failsAs(d, counterexample.bytes, group.signature)
  if (outcome?.kind !== 'failure') return
  group.shrunk = counterexample.bytes.slice()
  group.shrunkError = outcome.error
}

/**
 * The smallest failing depth of a nesting probe, by bisection from the depth that failed, then a
 * quarter more: how deep the stack overflows varies a little with the caller's own stack.
 */
async function shrinkProbe(d: Decoder, group: FailureGroup, probe: Probe): Promise<void> {
  let fail = probe.depth
  let pass = 0
  while (fail - pass > Math.max(16, fail / 32)) {
    const mid = Math.floor((pass + fail) / 2)
    if (await failsAs(d, probeBytes(d, { ...probe, depth: mid }), group.signature)) fail = mid
    else pass = mid
  }
  const shrunk = { ...probe, depth: Math.min(probe.depth, Math.ceil(fail * 1.25)) }
  const outcome = await failsAs(d, probeBytes(d, shrunk), group.signature)
  if (outcome?.kind !== 'failure') return
  group.shrunkProbe = shrunk
  group.shrunkError = outcome.error
}
