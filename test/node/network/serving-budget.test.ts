import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ABUSE_REPORT_INTERVAL_MS, MAX_TRACKED_PEERS, ServingBudget } from '../../../packages/node/src/network/serving-budget.ts'

const LIMITS = { maxServing: 3, maxServingPerPeer: 2, maxServingBytes: 100, requestsPerSecond: 10, requestBurst: 4 }

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000
  return { now: () => t, advance: (ms) => (t += ms) }
}

test('per-peer and global caps, released slots reused', () => {
  const budget = new ServingBudget(LIMITS, clock().now)
  assert.equal(budget.admit('a'), { abusive: false })
  assert.equal(budget.admit('a'), { abusive: false })
  assert.is(budget.admit('a').refused, 'peer')
  assert.equal(budget.admit('b'), { abusive: false })
  assert.is(budget.admit('c').refused, 'global')
  budget.release('a')
  assert.equal(budget.admit('c'), { abusive: false })
  assert.is(budget.usage().serving, 3)
})

test('the rate: a burst, then tokens refill; asking while refused is debt, and a burst of it is abuse', () => {
  const c = clock()
  const budget = new ServingBudget({ ...LIMITS, maxServingPerPeer: 100, maxServing: 100, requestsPerSecond: 2 }, c.now)
  for (let i = 0; i < LIMITS.requestBurst; i++) assert.is(budget.admit('a').refused, undefined, `request ${i}`)
  assert.equal(budget.admit('a'), { refused: 'rate', abusive: false })
  c.advance(500) // one token back (2/s)...
  // ...but the refused request above cost one: still in debt
  assert.is(budget.admit('a').refused, 'rate')
  // keep asking: after a whole burst of refused requests it is abuse, reported once a second
  const reports = Array.from({ length: 10 }, () => budget.admit('a').abusive).filter(Boolean).length
  assert.is(reports, 1)
  c.advance(ABUSE_REPORT_INTERVAL_MS)
  // a second refilled 2 tokens, from the floor of minus one burst: still refused, not yet abuse
  assert.equal(budget.admit('a'), { refused: 'rate', abusive: false })
  assert.equal(budget.admit('a'), { refused: 'rate', abusive: true })
  // slowing down clears it
  c.advance(4000)
  assert.is(budget.admit('a').refused, undefined)
  // another peer was never affected
  assert.is(budget.admit('b').refused, undefined)
})

test('the byte budget', () => {
  const budget = new ServingBudget(LIMITS, clock().now)
  assert.ok(budget.reserveBytes(60))
  assert.not.ok(budget.reserveBytes(41))
  assert.ok(budget.reserveBytes(40))
  budget.releaseBytes(60)
  assert.is(budget.usage().bytes, 40)
})

test('idle peers are forgotten when the table is full; busy ones are kept', () => {
  const c = clock()
  const budget = new ServingBudget({ ...LIMITS, maxServing: 10_000 }, c.now)
  budget.admit('busy')
  for (let i = 0; i < MAX_TRACKED_PEERS; i++) {
    budget.admit(`p${i}`)
    budget.release(`p${i}`)
  }
  c.advance(1000) // every bucket full again
  budget.admit('new')
  assert.is(budget.usage().peers, 2)
})

test.run()
