// Replays every failing input the fuzzer saved (test/fuzz/regressions/*.json). A case marked
// "fixed": true must end in a value or a coded error. A case marked "fixed": false is a known
// failure of the current code: it is replayed and printed (still failing, or passing now so that
// it can be flipped), never failed. Known probe cases (deep nesting, wide lists) share a time
// budget, since with the current RLP decoder each costs seconds; all other cases are replayed.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { decoderNamed } from './decoders.ts'
import { outcomeOf } from './decoder.ts'
import { allRegressions, caseBytes } from './regressions.ts'

const KNOWN_PROBES_BUDGET_MS = 10_000

const files = allRegressions()
let knownSpent = 0

test('every regression file names a decoder and holds its cases as hex or as a probe', async () => {
  for (const file of files) {
    const d = await decoderNamed(file.decoder)
    for (const c of file.cases) {
      assert.ok(typeof c.fixed === 'boolean', `${file.decoder}: a case without "fixed"`)
      assert.ok((c.hex !== undefined) !== (c.probe !== undefined), `${file.decoder}: a case needs hex or probe: ${c.signature}`)
      assert.ok(caseBytes(d, c).length > 0 || c.hex === '', `${file.decoder}: case bytes`)
    }
  }
})

for (const file of files) {
  test(`${file.decoder}: saved cases end in a value or a coded error (known failures printed)`, async () => {
    const d = await decoderNamed(file.decoder)
    for (const [i, c] of file.cases.entries()) {
      if (!c.fixed && c.probe && knownSpent > KNOWN_PROBES_BUDGET_MS) {
        process.stdout.write(`\n  ${file.decoder}[${i}] known failure not replayed (time budget spent): ${c.signature.slice(0, 100)}`)
        continue
      }
      await d.fresh?.()
      const t0 = performance.now()
      const outcome = await outcomeOf(d, { bytes: caseBytes(d, c), origin: 'regression' })
      if (c.fixed) {
        assert.ok(outcome.kind !== 'failure', `${file.decoder}[${i}] fails again: ${outcome.kind === 'failure' ? outcome.error : ''}`)
        continue
      }
      if (c.probe) knownSpent += performance.now() - t0
      const now = outcome.kind === 'failure' ? `still fails: ${outcome.error.slice(0, 100)}` : `now ends in ${outcome.kind === 'coded' ? outcome.code : 'a value'}: flip "fixed" to true`
      process.stdout.write(`\n  ${file.decoder}[${i}] known failure (fixed: false) ${now}`)
    }
  })
}

test.run()
