import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { peerIdFromString } from '@libp2p/peer-id'
import { BanList, PENALTY_HALF_LIFE_MS } from '../../../packages/node/src/network/bans.ts'

const ID = '12D3KooWSVRPdVob5QvmUp2f8NHiwxAn7pHMCKCNuYXVY4gDPw7z'

test('a ban lasts its duration and the gater refuses the peer meanwhile', async () => {
  let now = 1_000_000
  const bans = new BanList(() => now)
  const gater = bans.gater()
  assert.is(await gater.denyDialPeer!(peerIdFromString(ID)), false)
  bans.ban(ID, 60_000, 'test')
  assert.is(bans.isBanned(ID), true)
  assert.is(await gater.denyDialPeer!(peerIdFromString(ID)), true)
  now += 59_999
  assert.is(bans.isBanned(ID), true)
  now += 1
  assert.is(bans.isBanned(ID), false)
  assert.is(await gater.denyDialPeer!(peerIdFromString(ID)), false)
  assert.equal(bans.list(), [])
})

test('a shorter second ban never cuts a running one short', () => {
  let now = 0
  const bans = new BanList(() => now)
  bans.ban(ID, 60_000, 'long')
  bans.ban(ID, 1_000, 'short')
  now = 30_000
  assert.is(bans.isBanned(ID), true)
  assert.is(bans.list()[0]?.reason, 'long')
})

test('an explicit replace shortens or lengthens a running ban', () => {
  let now = 0
  const bans = new BanList(() => now)
  bans.ban(ID, 60_000, 'long')
  const shorter = bans.ban(ID, 1_000, 'operator', { replace: true })
  assert.equal(shorter, { peerId: ID, until: 1_000, reason: 'operator' })
  assert.equal(bans.find(ID), shorter)
  now = 1_000
  assert.is(bans.isBanned(ID), false)
})

test('unban lifts a running ban and reports whether there was one', () => {
  let now = 0
  const bans = new BanList(() => now)
  assert.is(bans.unban(ID), false, 'nothing to lift')
  bans.ban(ID, 1_000, 'test')
  assert.is(bans.unban(ID), true)
  assert.is(bans.isBanned(ID), false)
  bans.ban(ID, 1_000, 'test')
  now = 1_000
  assert.is(bans.unban(ID), false, 'an expired ban is no ban')
})

test('penalty points add up and halve every half-life', () => {
  let now = 0
  const bans = new BanList(() => now)
  bans.addPenalty(ID, 40)
  assert.is(bans.addPenalty(ID, 60), 100)
  now += PENALTY_HALF_LIFE_MS
  assert.ok(Math.abs(bans.penalty(ID) - 50) < 1e-9)
  now += PENALTY_HALF_LIFE_MS * 20
  assert.is(bans.penalty(ID), 0)
})

test.run()
