import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RateLimiter } from '../../../packages/node/src/api/rate-limit.ts'

test('a burst of one second, then one token per 1/rate seconds', () => {
  let now = 0
  const limiter = new RateLimiter({ ratePerSecond: 4, now: () => now })
  const taken = Array.from({ length: 6 }, () => limiter.take('a'))
  assert.equal(taken.slice(0, 4), [0, 0, 0, 0])
  assert.is(taken[4], 0.25, 'the fifth waits a quarter second')
  now += 250
  assert.is(limiter.take('a'), 0, 'one token back after 250 ms')
  assert.ok(limiter.take('a') > 0)
  now += 10_000
  assert.equal(Array.from({ length: 5 }, () => limiter.take('a') === 0), [true, true, true, true, false], 'refill stops at the burst')
})

test('clients have separate buckets', () => {
  const limiter = new RateLimiter({ ratePerSecond: 1, now: () => 0 })
  assert.is(limiter.take('a'), 0)
  assert.ok(limiter.take('a') > 0)
  assert.is(limiter.take('b'), 0)
})

test('the bucket map is capped, forgetting the least recently seen client', () => {
  const limiter = new RateLimiter({ ratePerSecond: 1, now: () => 0, maxClients: 2 })
  limiter.take('a')
  limiter.take('b')
  limiter.take('a')
  limiter.take('c')
  assert.is(limiter.clients, 2)
  assert.ok(limiter.take('a') > 0, "'a' was seen recently and kept its empty bucket")
  assert.is(limiter.take('b'), 0, "'b' was forgotten and comes back full")
})

test('a non-positive rate is refused', () => {
  assert.throws(() => new RateLimiter({ ratePerSecond: 0 }), RangeError)
})

test.run()
