// bans, ban, unban, and the errors an operator meets with them, against two real validator nodes
// through the real binary.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Cluster, assertExit, connectedTo, runCli, runJson, startPair, waitFor } from './helpers.ts'

// a well-formed peer id no node of this test has
const STRANGER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'

let cluster: Cluster
const node = (i: number) => cluster.nodes[i]!
const cli = (i: number, ...args: string[]) => runCli(['--home', node(i).home, ...args])
const json = <T = Record<string, unknown>>(i: number, ...args: string[]) => runJson<T>(['--home', node(i).home, ...args])

interface BanJson {
  peerId: string
  until: number
  reason: string
}

test.before(async () => {
  cluster = await startPair()
})
test.after(async () => {
  await cluster?.stop()
})

test('bans with none: a sentence for people, [] for scripts', async () => {
  const [table, list] = await Promise.all([cli(0, 'bans'), json<BanJson[]>(0, 'bans')])
  assertExit(table, 0, 'bans')
  assert.is(table.stdout, 'no peers banned\n')
  assert.equal(list, [])
})

test('bad input exits 7 before or at the node: a malformed id, bad minutes, a long reason, its own id', async () => {
  const [badId, zero, fraction, tooMany, longReason, self, badUnban] = await Promise.all([
    cli(0, 'ban', 'not-a-peer-id'),
    cli(0, 'ban', STRANGER, '--minutes', '0'),
    cli(0, 'ban', STRANGER, '--minutes', '1.5'),
    cli(0, 'ban', STRANGER, '--minutes', String(7 * 24 * 60 * 365 + 1)),
    cli(0, 'ban', STRANGER, '--reason', 'x'.repeat(201)),
    cli(0, 'ban', node(0).peerId),
    cli(0, 'unban', 'not-a-peer-id'),
  ])
  assertExit(badId, 7, 'malformed peer id')
  assert.match(badId.stderr, /is not a peer id/)
  assertExit(zero, 7, '--minutes 0')
  assert.match(zero.stderr, /--minutes must be a whole number of at least 1/)
  assertExit(fraction, 7, '--minutes 1.5')
  assertExit(tooMany, 7, '--minutes over the limit')
  assert.match(tooMany.stderr, /--minutes must be at most/)
  assertExit(longReason, 7, 'a 201-character reason')
  assertExit(self, 7, 'its own peer id')
  assert.match(self.stderr, /this node's own peer id/)
  assertExit(badUnban, 7, 'unban of a malformed peer id')
  assert.equal(await json<BanJson[]>(0, 'bans'), [], 'nothing was banned')
})

test('ban a connected peer, see it in bans, refused by connect; unban it, unban again exits 6', async () => {
  const peer = node(1).peerId
  const before = Date.now()
  const ban = await json<BanJson>(0, 'ban', peer, '--minutes', '5', '--reason', 'testing bans')
  assert.is(ban.peerId, peer)
  assert.is(ban.reason, 'testing bans')
  assert.ok(ban.until >= before + 5 * 60_000 && ban.until <= Date.now() + 5 * 60_000, `until ${ban.until}`)
  assert.equal(await json<BanJson[]>(0, 'bans'), [ban])
  await waitFor('node1 disconnected from node0', async () => !(await connectedTo(cluster, 0, 1)))

  const [table, refused] = await Promise.all([cli(0, 'bans'), cli(0, 'connect', node(1).multiaddr)])
  assertExit(table, 0, 'bans table')
  const [header, ...rows] = table.stdout.trimEnd().split('\n')
  assert.match(header!, /^PEER\s+UNTIL\s+REASON$/)
  assert.is(rows.length, 1, table.stdout)
  // the full id (what unban takes), a local ISO time with its offset, and how long is left
  assert.match(rows[0]!, new RegExp(`^${peer}\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d:\\d\\d \\(in 4m\\d\\ds\\)\\s+testing bans$`))
  assertExit(refused, 9, 'connect to a banned peer')
  assert.match(refused.stderr, /the peer is banned/)
  assert.match(refused.stderr, /p2pnode unban/)

  const lifted = await json<{ peerId: string; unbanned: boolean }>(0, 'unban', peer)
  assert.equal(lifted, { peerId: peer, unbanned: true })
  assert.equal(await json<BanJson[]>(0, 'bans'), [])
  const again = await cli(0, 'unban', peer)
  assertExit(again, 6, 'unban of a peer not banned')
  assert.match(again.stderr, /is not banned/)
  assert.match(again.stderr, /hint: p2pnode bans lists/)

  const back = await json<{ peerId: string }>(0, 'connect', node(1).multiaddr)
  assert.is(back.peerId, peer)
  await waitFor('node1 listed again', () => connectedTo(cluster, 0, 1))
})

test('ban without options takes the defaults; the human output names the peer and the reason', async () => {
  const r = await cli(0, 'ban', STRANGER)
  assertExit(r, 0, 'ban')
  assert.match(r.stdout, new RegExp(`^banned ${STRANGER} until \\S+ \\(in 29m\\d\\ds\\): banned by operator\\n$`))
  const unban = await cli(0, 'unban', STRANGER)
  assertExit(unban, 0, 'unban')
  assert.is(unban.stdout, `unbanned ${STRANGER}\n`)
})

test.run()
