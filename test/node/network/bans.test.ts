import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { peerIdFromString } from '@libp2p/peer-id'
import { BanList, MAX_BANS, MAX_PENALTIES, PENALTY_HALF_LIFE_MS } from '../../../packages/node/src/network/bans.ts'

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

test('prune drops decayed penalties and expired bans without anyone asking about them', () => {
  let now = 0
  const bans = new BanList(() => now)
  for (let i = 0; i < 100; i++) bans.addPenalty(`p${i}`, 50)
  bans.addPenalty('fresh', 50)
  bans.ban('gone', 1_000, 'short')
  bans.ban('kept', 24 * 60 * 60_000, 'long')
  now += PENALTY_HALF_LIFE_MS * 13 // 50 points halved 13 times: under 0.01
  bans.addPenalty('fresh', 50)
  assert.is(bans.penalized(), 101)
  bans.prune()
  assert.is(bans.penalized(), 1)
  assert.equal(bans.list().map((b) => b.peerId), ['kept'])
})

test('at most MAX_BANS are held: the ones expiring first go', () => {
  let now = 0
  const bans = new BanList(() => now)
  bans.ban('expired', 10, 'old')
  now = 100
  // every ban ends at a different time; ban i ends at now + 1,000 + i
  for (let i = 0; i < MAX_BANS; i++) bans.ban(`b${i}`, 1_000 + i, 'flood')
  assert.is(bans.list().length, MAX_BANS, 'the expired one made room')
  bans.ban('operator', 24 * 60 * 60_000, 'operator')
  bans.ban('another', 5_000_000, 'flood')
  const held = bans.list()
  assert.is(held.length, MAX_BANS)
  assert.is(bans.isBanned('b0'), false, 'the soonest to expire was dropped')
  assert.is(bans.isBanned('b1'), false)
  assert.ok(bans.isBanned('b2') && bans.isBanned('operator') && bans.isBanned('another'))
})

test('at most MAX_PENALTIES peers have penalty points: the smallest go', () => {
  const bans = new BanList(() => 0)
  for (let i = 0; i < MAX_PENALTIES; i++) bans.addPenalty(`p${i}`, 1 + i)
  assert.is(bans.penalized(), MAX_PENALTIES)
  bans.addPenalty('big', 1_000_000)
  assert.is(bans.penalized(), MAX_PENALTIES * 0.9)
  assert.is(bans.penalty('big'), 1_000_000)
  assert.is(bans.penalty(`p${MAX_PENALTIES - 1}`), MAX_PENALTIES)
  assert.is(bans.penalty('p0'), 0)
})

test.run()
