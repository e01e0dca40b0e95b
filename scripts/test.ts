// `npm test`: builds the packages (tsc -b, incremental: the processes tests start run the built
// JavaScript, as operators do, so it must never be older than the sources), type-checks the tests,
// then runs every uvu test file under test/ (or the folders and patterns given:
// `npm test -- test/core/codec`) with the packages' sources, and ends with one line CI reads:
// `tests: N passed, N failed`. uvu's own summary can read "Passed: 0" with exit code 0 when a
// failure cannot be formatted, so failures are counted as total - passed - skipped, never trusted
// from the exit code alone.
//
// Slow tests (`*.slow.test.ts`: a 20-node devnet, say) are outside this quick set: they run when
// named (`npm test -- test/e2e/devnet-20.slow.test.ts`) or with `--slow` (every test, slow ones too).

import { spawn } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { RUN_SOURCES } from '../test/fixtures/run-sources.ts'

const ROOT = new URL('..', import.meta.url).pathname
const TEST_FILE = /\.test\.ts$/
const SLOW_TEST_FILE = /\.slow\.test\.ts$/

/** Test files under `path`; a file named itself is run even when slow. */
function findTests(path: string, slow: boolean): string[] {
  if (statSync(path).isFile()) return TEST_FILE.test(path) ? [path] : []
  return readdirSync(path)
    .sort()
    .flatMap((name) => {
      const child = join(path, name)
      return statSync(child).isFile() && SLOW_TEST_FILE.test(name) && !slow ? [] : findTests(child, slow)
    })
}

/**
 * Whether a file's last `suite.run()` ends it: uvu runs a suite's tests registered by then, and a
 * test added below that line would silently never run.
 */
function endsWithRun(file: string): boolean {
  const text = readFileSync(file, 'utf8')
  const runs = [...text.matchAll(/^\w+\.run\(\)\s*;?\s*$/gm)]
  const last = runs.at(-1)
  return last === undefined || text.slice(last.index + last[0].length).trim() === ''
}

function run(command: string, args: string[], capture: boolean): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } })
    let output = ''
    const take = (chunk: Buffer, to: NodeJS.WriteStream) => {
      if (capture) output += chunk.toString()
      to.write(chunk)
    }
    child.stdout.on('data', (c: Buffer) => take(c, process.stdout))
    child.stderr.on('data', (c: Buffer) => take(c, process.stderr))
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output }))
  })
}

function count(output: string, label: string): number {
  const match = output.match(new RegExp(`^\\s*${label}:\\s+(\\d+)`, 'm'))
  return match ? Number(match[1]) : 0
}

const args = process.argv.slice(2)
const skipTypecheck = args.includes('--no-typecheck')
const slow = args.includes('--slow')
const targets = args.filter((a) => !a.startsWith('--'))
let failed = 0
let passed = 0

// --no-typecheck skips the tests' type-check, never the build: a stale dist/ would be tested.
process.stdout.write('build: tsc -b\n')
const build = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-b'], false)
if (build.code !== 0) {
  process.stdout.write('build failed\n')
  failed++
}

if (!skipTypecheck) {
  process.stdout.write('typecheck: tsc -p tsconfig.tests.json\n')
  const tsc = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.tests.json'], false)
  if (tsc.code !== 0) {
    process.stdout.write('typecheck failed\n')
    failed++
  }
}

const files = (targets.length ? targets : ['test']).flatMap((t) => findTests(join(ROOT, t), slow))
for (const file of files.filter((f) => !endsWithRun(f))) {
  process.stdout.write(`${relative(ROOT, file)}: code after its last .run(): tests there never run\n`)
  failed++
}
// One uvu process per top-level test folder keeps a crash in one area from hiding the rest.
const groups = new Map<string, string[]>()
for (const file of files) {
  const group = relative(ROOT, file).split('/').slice(0, 2).join('/')
  groups.set(group, [...(groups.get(group) ?? []), file])
}
for (const [group, list] of groups) {
  const pattern = list.map((f) => relative(join(ROOT, group), f).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')
  const dir = statSync(join(ROOT, group)).isDirectory() ? group : '.'
  const result = await run(process.execPath, [...RUN_SOURCES, 'node_modules/uvu/bin.js', dir, `^(${pattern})$`], true)
  const total = count(result.output, 'Total')
  const ok = count(result.output, 'Passed')
  const skipped = count(result.output, 'Skipped')
  const bad = total - ok - skipped + (result.code !== 0 && total === ok + skipped ? 1 : 0)
  passed += ok
  failed += bad
  if (total === 0 && list.length > 0) failed++ // a group that ran nothing is broken
}

process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`)
process.exit(failed > 0 ? 1 : 0)
