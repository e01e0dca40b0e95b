import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { isCoreError, ErrorCode } from '../../packages/core/src/errors.ts'
import { computeWeights, ProposerSchedule, proposerIndex } from '../../packages/core/src/consensus/index.ts'
import type { Validator } from '../../packages/core/src/types/chain.ts'

function set(shares: number[]): Validator[] {
  return shares.map((s, i) => ({ publicKey: new Uint8Array(48).fill(i + 1), account: new Uint8Array(20), shares: s }))
}

test('each validator proposes exactly its shares in every cycle of total-shares heights', () => {
  for (const shares of [[1, 1, 1, 1], [5, 1, 3], [7, 2, 2, 1, 9], [1, 100]]) {
    const v = set(shares)
    const total = shares.reduce((a, b) => a + b, 0)
    for (const cycle of [0, 3]) {
      const counts = new Array(shares.length).fill(0)
      for (let h = 1; h <= total; h++) counts[proposerIndex(v, cycle * total + h, 0)]++
      assert.equal(counts, shares, `shares ${shares} cycle ${cycle}`)
    }
  }
})

test('the cached schedule agrees with computing from scratch, across heights and rounds', () => {
  const v = set([4, 1, 3, 2, 6])
  const schedule = new ProposerSchedule(v)
  for (let h = 1; h < 60; h++) {
    for (const r of [0, 1, 2, 7, 33]) assert.is(schedule.proposer(h, r), proposerIndex(v, h, r), `h${h} r${r}`)
  }
})

test('quorum is strictly more than the threshold of shares, and a threshold below 2/3 is refused', () => {
  assert.is(computeWeights(set([1, 1, 1]), { numerator: 2, denominator: 3 }).quorum, 3)
  assert.is(computeWeights(set([1, 1, 1, 1]), { numerator: 2, denominator: 3 }).quorum, 3)
  assert.is(computeWeights(set([5, 1, 3, 3]), { numerator: 3, denominator: 4 }).quorum, 10)
  assert.is(computeWeights(set([1, 1, 1, 1]), { numerator: 2, denominator: 3 }).skip, 2)
  for (const bad of [{ numerator: 1, denominator: 2 }, { numerator: 3, denominator: 3 }, { numerator: 2, denominator: 0 }]) {
    try {
      computeWeights(set([1, 1]), bad)
      assert.unreachable(`${bad.numerator}/${bad.denominator}`)
    } catch (err) {
      assert.ok(isCoreError(err, ErrorCode.GenesisInvalid), String(err))
    }
  }
})

test.run()
