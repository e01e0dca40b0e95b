// Every decoder that takes bytes from a peer or from disk, fed 5,000 seeded random and mutated
// inputs (and the shallow nesting probes): each must end in a value or a coded error. Failures
// already recorded as known (a regression case with "fixed": false and the same signature) are
// printed, not failed; any other failure fails the test with how to replay it.
// `npm run fuzz` runs the same with 100,000 cases, deeper probes and shrinking (docs/fuzzing.md).

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decoders } from './decoders.ts'
import { knownFailures } from './regressions.ts'
import { fuzz } from './run.ts'

const CASES = 5_000
const SEED = 20_251_127

for (const d of await decoders()) {
  test(`${d.name}: ${CASES} cases end in a value or a coded error`, async () => {
    const report = await fuzz(d, { cases: CASES, seed: SEED, shrink: false, probes: 'light' })
    assert.ok(report.cases >= CASES, `${d.name}: ran ${report.cases} of ${CASES} cases`)
    const known = knownFailures(d.name)
    const unknown = report.failures.filter((g) => !known.has(g.signature))
    for (const g of report.failures.filter((g) => known.has(g.signature))) {
      process.stdout.write(`\n  known failure of ${d.name} (fixed: false), x${g.count}: ${g.error.slice(0, 120)}`)
    }
    const described = unknown.map((g) => `x${g.count} ${g.error} [run ${g.run}, ${g.origin}; replay: npm run fuzz -- --cases ${CASES} --seed ${SEED} --only ${d.name}]`)
    assert.equal(described, [], `${d.name}: new failures`)
  })
}

test.run()
