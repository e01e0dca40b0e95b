// npm run sim -- --runs N [--seed S] [--engine correct|forgetsLock] [--crypto fake|bls]
// Runs N seeded consensus scenarios (seeds S, S+1, ...) on the simulated network and ends with
// `scenarios: N run, N safety violations, N liveness failures`. A failing run prints its seed;
// `--seed <that seed> --runs 1` replays it exactly.

import { parseArgs } from 'node:util'
import { type EngineName, ENGINES } from '../test/consensus/sim/broken.ts'
import { runMany } from '../test/consensus/sim/run-many.ts'

const DEFAULT_RUNS = 100
const DEFAULT_SEED = 1

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: String(DEFAULT_RUNS) },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
    engine: { type: 'string', default: 'correct' },
    crypto: { type: 'string', default: 'fake' },
    verbose: { type: 'boolean', default: false },
  },
})
const runs = Number(values.runs)
const seed = Number(values.seed)
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`)
if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${values.seed}`)
if (!(values.engine! in ENGINES)) throw new Error(`--engine must be one of ${Object.keys(ENGINES).join(', ')}`)
if (values.crypto !== 'fake' && values.crypto !== 'bls') throw new Error('--crypto must be fake or bls')

const started = performance.now()
const results = await runMany({
  firstSeed: seed,
  runs,
  options: { engine: values.engine as EngineName, crypto: values.crypto },
})
let safety = 0
let liveness = 0
for (const r of results) {
  if (r.safety.length > 0) safety++
  if (r.liveness.length > 0) liveness++
  if (r.safety.length > 0 || r.liveness.length > 0 || values.verbose) {
    const verdict = r.safety.length > 0 ? 'SAFETY' : r.liveness.length > 0 ? 'LIVENESS' : 'ok'
    console.log(`seed ${r.seed} ${verdict}: ${r.description}`)
    for (const line of [...r.safety, ...r.liveness]) console.log(`  ${line}`)
    if (verdict !== 'ok') console.log(`  replay: npm run sim -- --seed ${r.seed} --runs 1${values.engine === 'correct' ? '' : ` --engine ${values.engine}`}`)
  }
}
const heights = results.reduce((a, r) => a + r.heights, 0)
console.log(`(${heights} heights committed, ${((performance.now() - started) / 1000).toFixed(1)} s)`)
console.log(`scenarios: ${runs} run, ${safety} safety violations, ${liveness} liveness failures`)
process.exitCode = safety + liveness > 0 ? 1 : 0
