import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  BOOTSTRAP_RETRY_MAX_MS,
  DIAL_BACKOFF_BASE_MS,
  DIAL_BACKOFF_MAX_MS,
  DialBackoff,
  MAX_BACKOFF_ENTRIES,
} from '../../../packages/node/src/network/dial-backoff.ts'

test('each failure doubles the wait, up to DIAL_BACKOFF_MAX_MS; a connection clears it', () => {
  const backoff = new DialBackoff()
  let now = 1_000
  const waits: number[] = []
  for (let i = 0; i < 12; i++) {
    waits.push(backoff.failed('p', now))
    now += 1
  }
  assert.equal(waits.slice(0, 4), [DIAL_BACKOFF_BASE_MS, 2 * DIAL_BACKOFF_BASE_MS, 4 * DIAL_BACKOFF_BASE_MS, 8 * DIAL_BACKOFF_BASE_MS])
  assert.is(waits.at(-1), DIAL_BACKOFF_MAX_MS)
  assert.is(backoff.readyAt('p', false), now - 1 + DIAL_BACKOFF_MAX_MS)
  assert.is(backoff.failures('p'), 12)
  backoff.succeeded('p')
  assert.is(backoff.readyAt('p', false), 0)
  assert.is(backoff.failures('p'), 0)
})

test('an isolated node retries a bootstrap peer within BOOTSTRAP_RETRY_MAX_MS; other peers keep their backoff', () => {
  const backoff = new DialBackoff(['boot'])
  const at = 50_000
  for (const peer of ['boot', 'other']) for (let i = 0; i < 8; i++) backoff.failed(peer, at)
  const full = at + 2 ** 7 * DIAL_BACKOFF_BASE_MS
  assert.is(backoff.readyAt('boot', true), at + BOOTSTRAP_RETRY_MAX_MS, 'bootstrap, no connection')
  assert.is(backoff.readyAt('boot', false), full, 'bootstrap, connected to someone: the DHT does the rest')
  assert.is(backoff.readyAt('other', true), full, 'not a bootstrap peer')
})

test('failures are remembered for at most MAX_BACKOFF_ENTRIES peers, the least recently failed dropped', () => {
  const backoff = new DialBackoff()
  for (let i = 0; i < MAX_BACKOFF_ENTRIES + 10; i++) backoff.failed(`p${i}`, 0)
  assert.is(backoff.size, MAX_BACKOFF_ENTRIES)
  assert.is(backoff.failures('p0'), 0, 'the oldest went')
  assert.is(backoff.failures(`p${MAX_BACKOFF_ENTRIES + 9}`), 1)
  // a new failure of a remembered peer makes it the newest
  backoff.failed('p10', 1)
  for (let i = 0; i < 20; i++) backoff.failed(`q${i}`, 2)
  assert.is(backoff.failures('p10'), 2, 'touched again, kept')
  assert.is(backoff.failures('p11'), 0, 'not touched, dropped')
})

test.run()
