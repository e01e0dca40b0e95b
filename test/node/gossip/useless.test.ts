// The per-peer budget of useless gossip: a steady trickle is free, a flood is penalized every
// time it empties the bucket, and the bucket refills with time.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { UselessBudget } from '../../../packages/node/src/gossip/useless.ts'

function budget(burst = 10, perSecond = 5) {
  const clock = { now: 0 }
  const penalties: string[] = []
  const b = new UselessBudget({ burst, perSecond, now: () => clock.now, penalize: (peer) => penalties.push(peer) })
  return { b, clock, penalties }
}

test('a burst is free; the message that overflows it is penalized, once per burst', () => {
  const { b, penalties } = budget(10, 5)
  for (let i = 0; i < 10; i++) assert.ok(b.spend('p', 'x'), `message ${i}`)
  assert.not.ok(b.spend('p', 'x'))
  assert.equal(penalties, ['p'])
  for (let i = 0; i < 10; i++) b.spend('p', 'x')
  assert.equal(penalties, ['p'], 'a fresh burst after a penalty')
  b.spend('p', 'x')
  assert.equal(penalties, ['p', 'p'])
})

test('the bucket refills at the steady rate, so a trickle below it is never penalized', () => {
  const { b, clock, penalties } = budget(10, 5)
  for (let i = 0; i < 1_000; i++) {
    clock.now += 250 // 4 a second, under 5
    b.spend('p', 'x')
  }
  assert.equal(penalties, [])
})

test('peers have separate budgets', () => {
  const { b, penalties } = budget(3, 1)
  for (let i = 0; i < 4; i++) b.spend('flooder', 'x')
  for (let i = 0; i < 3; i++) assert.ok(b.spend('honest', 'x'))
  assert.equal(penalties, ['flooder'])
})

test.run()
