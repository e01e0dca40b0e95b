// `npm run fuzz -- [--cases N] [--seed S] [--only name,name] [--no-save] [--no-shrink]`
//
// Feeds every decoder that takes bytes from a peer or from disk N seeded random and mutated
// inputs (default 100,000 each; docs/fuzzing.md). Prints per decoder the cases, values, coded
// errors by code, failures and time. Each new kind of failure is shrunk and saved to
// test/fuzz/regressions/<decoder>.json with "fixed": false, which `npm test` replays. Exits 1 if
// any decoder failed.

import { decoders } from '../test/fuzz/decoders.ts'
import { saveFailures } from '../test/fuzz/regressions.ts'
import { type FuzzReport, fuzz } from '../test/fuzz/run.ts'

const DEFAULT_CASES = 100_000

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function integer(name: string, fallback: number): number {
  const text = option(name)
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`--${name} must be an integer, got ${text}`)
  return n
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`
}

function print(r: FuzzReport): void {
  const failures = r.failures.reduce((n, g) => n + g.count, 0)
  const coded = Object.entries(r.codes).sort(([, a], [, b]) => b - a)
  const codedTotal = coded.reduce((n, [, k]) => n + k, 0)
  process.stdout.write(
    `${r.name.padEnd(24)} cases ${r.cases}  values ${r.values}  coded ${codedTotal}  failures ${failures}` +
      `  ${(r.ms / 1000).toFixed(1)} s  slow ${r.slow} (slowest ${r.slowest.ms.toFixed(0)} ms: ${size(r.slowest.bytes)} ${r.slowest.origin})\n`,
  )
  process.stdout.write(`    codes: ${coded.map(([code, k]) => `${code} ${k}`).join(', ') || 'none'}\n`)
  for (const g of r.failures) {
    const shrunk = g.shrunkProbe ? `, shrunk to depth ${g.shrunkProbe.depth}` : g.shrunk ? `, shrunk to ${size(g.shrunk.length)}` : ''
    const first = g.probe ? g.origin : `first at run ${g.run}, ${g.origin}`
    process.stdout.write(`    FAIL x${g.count}: ${g.error.slice(0, 160)}  [${first}, ${size(g.input.length)}${shrunk}]\n`)
  }
}

const cases = integer('cases', DEFAULT_CASES)
const seed = integer('seed', Date.now() % 2 ** 31)
const only = option('only')?.split(',')
const save = !process.argv.includes('--no-save')
const shrink = !process.argv.includes('--no-shrink')

const all = await decoders()
const chosen = only ? all.filter((d) => only.includes(d.name)) : all
if (only && chosen.length !== only.length) {
  throw new Error(`unknown decoder in --only; the decoders are: ${all.map((d) => d.name).join(' ')}`)
}

process.stdout.write(`fuzz: ${chosen.length} decoders, ${cases} cases each, seed ${seed}\n`)
let failed = 0
let saved = 0
const started = performance.now()
for (const d of chosen) {
  const report = await fuzz(d, { cases, seed, shrink })
  print(report)
  if (report.failures.length > 0) failed++
  if (save) saved += saveFailures(d.name, report.failures, (g) => `npm run fuzz -- --cases ${cases} --seed ${seed} --only ${d.name} (${g.probe ? g.origin : `run ${g.run}, ${g.origin}`})`)
}
process.stdout.write(`\nfuzz: ${chosen.length - failed} decoders without failures, ${failed} with; ${saved} new regression cases saved; ${((performance.now() - started) / 1000).toFixed(0)} s\n`)
process.exit(failed > 0 ? 1 : 0)
