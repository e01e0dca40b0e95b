// Failing inputs the fuzzer found, kept in test/fuzz/regressions/<decoder>.json and replayed by
// `npm test`. A case with "fixed": false is a known failure of the current code: it is replayed
// and printed but does not fail the tests, and a fuzz run that meets the same failure again (same
// signature) does not count it as new. When the code is fixed, the lead flips it to true, and from
// then on the case must end in a value or a coded error.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Bytes, fromHex, toHex } from '../../packages/core/src/bytes.ts'
import type { Decoder } from './decoder.ts'
import { type Probe, probeBytes } from './probes.ts'
import type { FailureGroup } from './run.ts'

export const REGRESSIONS_DIR = new URL('./regressions/', import.meta.url).pathname

export interface RegressionCase {
  signature: string
  /** The error the (shrunk) input raised when it was found. */
  error: string
  fixed: boolean
  /** How it was found: the command's seed and the run index. */
  found: string
  /** The input as hex, or, for a probe, its description (probes.ts makes the bytes). */
  hex?: string
  probe?: Probe
}

export interface RegressionFile {
  decoder: string
  cases: RegressionCase[]
}

function pathOf(decoder: string): string {
  return join(REGRESSIONS_DIR, `${decoder}.json`)
}

export function loadRegressions(decoder: string): RegressionFile {
  const path = pathOf(decoder)
  if (!existsSync(path)) return { decoder, cases: [] }
  return JSON.parse(readFileSync(path, 'utf8')) as RegressionFile
}

export function allRegressions(): RegressionFile[] {
  if (!existsSync(REGRESSIONS_DIR)) return []
  return readdirSync(REGRESSIONS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(REGRESSIONS_DIR, f), 'utf8')) as RegressionFile)
}

/** Signatures of the decoder's known failures (cases not yet fixed). */
export function knownFailures(decoder: string): Set<string> {
  return new Set(loadRegressions(decoder).cases.filter((c) => !c.fixed).map((c) => c.signature))
}

/** Adds the groups whose signature the file does not hold yet; returns how many were added. */
export function saveFailures(decoder: string, groups: FailureGroup[], found: (g: FailureGroup) => string): number {
  const file = loadRegressions(decoder)
  const have = new Set(file.cases.map((c) => c.signature))
  let added = 0
  for (const g of groups) {
    if (have.has(g.signature)) continue
    const error = g.shrunkError ?? g.error
    const what = g.probe ? { probe: g.shrunkProbe ?? g.probe } : { hex: toHex(g.shrunk ?? g.input) }
    file.cases.push({ signature: g.signature, error, fixed: false, found: found(g), ...what })
    have.add(g.signature)
    added++
  }
  if (added > 0) {
    mkdirSync(REGRESSIONS_DIR, { recursive: true })
    writeFileSync(pathOf(decoder), `${JSON.stringify(file, null, 2)}\n`)
  }
  return added
}

export function caseBytes(d: Decoder, c: RegressionCase): Bytes {
  if (c.probe) return probeBytes(d, c.probe)
  return fromHex(c.hex ?? '')
}
