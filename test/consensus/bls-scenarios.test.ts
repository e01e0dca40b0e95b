// A few scenarios with real BLS signatures end to end: votes, proposals and commit certificates
// (one fast-aggregate-verify per certificate) as the node will use them.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScenario } from './sim/scenario.ts'

const SEEDS = [3, 7, 10]

for (const seed of SEEDS) {
  test(`seed ${seed} with BLS signatures`, () => {
    const r = runScenario(seed, { crypto: 'bls' })
    assert.equal(r.safety, [], r.description)
    assert.equal(r.liveness, [], r.description)
    assert.ok(r.heights >= 3, `heights ${r.heights}`)
  })
}

test.run()
