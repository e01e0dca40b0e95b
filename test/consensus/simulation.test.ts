// The harness over 1,000 seeded scenarios (fake crypto, simulated clock): no safety violation,
// no liveness failure. A failure message names the seed to replay with `npm run sim`.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runMany } from './sim/run-many.ts'

const RUNS = 1_000
const FIRST_SEED = 1

test(`${RUNS} scenarios keep agreement, validity, the signer guard and liveness after GST`, async () => {
  const results = await runMany({ firstSeed: FIRST_SEED, runs: RUNS })
  assert.is(results.length, RUNS)
  for (const r of results) {
    assert.equal(r.safety, [], `seed ${r.seed} (npm run sim -- --seed ${r.seed} --runs 1): ${r.description}`)
    assert.equal(r.liveness, [], `seed ${r.seed} (npm run sim -- --seed ${r.seed} --runs 1): ${r.description}`)
  }
  // The scenarios did exercise what they claim to
  assert.ok(results.some((r) => r.evidence > 0), 'some scenario produced equivocation evidence')
  assert.ok(results.reduce((a, r) => a + r.heights, 0) > 3 * RUNS, 'heights were committed')
})

test('a scenario replays exactly from its seed', () => {
  // run in this thread twice: same messages, same heights, same evidence
  return runMany({ firstSeed: 4242, runs: 2 }, 1).then(async (a) => {
    const b = await runMany({ firstSeed: 4242, runs: 2 }, 1)
    assert.equal(
      a.map((r) => [r.messages, r.heights, r.evidence]),
      b.map((r) => [r.messages, r.heights, r.evidence]),
    )
  })
})

test.run()
