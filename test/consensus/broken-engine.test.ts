// The harness can fail: an engine that forgets its lock (lockedValue / lockedRound, and with it
// validValue) must be caught breaking agreement within the same number of scenarios that the
// correct engine passes. Runs seeds in order and stops at the first violation.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScenario } from './sim/scenario.ts'

const RUNS = 1_000
const FIRST_SEED = 1

test('an engine that ignores its lock is caught within the scenario budget', () => {
  let caught: { seed: number; what: string } | null = null
  for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS && !caught; seed++) {
    const r = runScenario(seed, { engine: 'forgetsLock' })
    if (r.safety.length > 0) caught = { seed, what: r.safety[0]! }
  }
  assert.ok(caught, `no violation found in ${RUNS} runs`)
  assert.match(caught!.what, /^agreement/)
  // and the same seed is clean with the correct engine
  const correct = runScenario(caught!.seed)
  assert.equal(correct.safety, [])
  assert.equal(correct.liveness, [])
})

test.run()
