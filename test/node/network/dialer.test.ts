// The dialer's schedule, on a manual clock and a stub of libp2p (peers, peer store, dials and the
// DHT lookup as the dialer sees them): when it dials and looks up, and what it costs when it has
// nothing to do. Real nodes finding each other: discovery.test.ts.

import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PeerId } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BanList } from '../../../packages/node/src/network/bans.ts'
import { BOOTSTRAP_RETRY_MAX_MS } from '../../../packages/node/src/network/dial-backoff.ts'
import {
  DIAL_TICK_MAX_MS,
  DIAL_TICK_MIN_MS,
  Dialer,
  type DialerClock,
  type DialerHost,
  LOOKUP_INTERVAL_MAX_MS,
  LOOKUP_INTERVAL_MIN_MS,
  TABLE_EMPTY_REIDENTIFY_MS,
} from '../../../packages/node/src/network/dialer.ts'
import { silentLogger } from '../../../packages/node/src/network/logger.ts'

/** setImmediate: lets the dialer's promise chains (peer store read, dial, lookup) run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
}

class ManualClock implements DialerClock {
  time = 1_000_000
  private readonly timers = new Map<number, { at: number; run: () => void }>()
  private nextId = 1
  now(): number {
    return this.time
  }
  setTimeout(run: () => void, ms: number): unknown {
    const id = this.nextId++
    this.timers.set(id, { at: this.time + ms, run })
    return id
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number)
  }
  /** Runs every timer due within `ms`, in order, letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0]
      if (!due) break
      this.timers.delete(due[0])
      this.time = Math.max(this.time, due[1].at)
      due[1].run()
      await settle()
    }
    this.time = end
    await settle()
  }
}

const ids: PeerId[] = await Promise.all(Array.from({ length: 12 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))

/** libp2p as the dialer sees it; `reachable` peers accept dials, the lookup tells of `network`. */
class StubHost implements DialerHost {
  readonly peerId = ids[0]!
  readonly connected = new Set<string>()
  readonly known = new Map<string, PeerId>()
  readonly reachable = new Set<string>()
  /** Peers a lookup tells of (they enter the peer store). */
  network: PeerId[] = []
  dials: Array<{ peer: string; at: number }> = []
  lookups: number[] = []
  storeReads = 0
  /** The DHT's routing table: by default every connected peer made it in. */
  table: number | undefined
  reidentified: string[] = []
  dialer!: Dialer
  constructor(private readonly clock: ManualClock) {}

  getPeers(): PeerId[] {
    return [...this.connected].map((id) => this.known.get(id)!)
  }
  readonly peerStore = {
    all: async () => {
      this.storeReads++
      return [...this.known.values()].map((id) => ({ id, addresses: ['/ip4/127.0.0.1/tcp/1'] }))
    },
  }
  readonly peerRouting = {
    getClosestPeers: (_key: Uint8Array) => {
      this.lookups.push(this.clock.now())
      const host = this
      return (async function* () {
        for (const id of host.network) {
          if (!host.known.has(id.toString())) host.learn(id)
          yield id
        }
      })()
    },
  }
  dhtPeers(): number {
    return this.table ?? this.connected.size
  }
  async reidentify(peer: PeerId): Promise<void> {
    this.reidentified.push(peer.toString())
    this.table = this.connected.size
  }
  async dial(peer: PeerId): Promise<unknown> {
    const id = peer.toString()
    this.dials.push({ peer: id, at: this.clock.now() })
    if (!this.reachable.has(id)) throw new Error('ECONNREFUSED')
    this.connect(peer)
    return {}
  }
  learn(peer: PeerId): void {
    this.known.set(peer.toString(), peer)
    this.dialer.discovered()
  }
  connect(peer: PeerId): void {
    this.known.set(peer.toString(), peer)
    this.connected.add(peer.toString())
    this.dialer.connected(peer.toString())
  }
  disconnect(peer: PeerId): void {
    this.connected.delete(peer.toString())
    this.dialer.disconnected(peer.toString())
  }
}

function setup(minConnections: number, bootstrap: PeerId[] = []) {
  const clock = new ManualClock()
  const host = new StubHost(clock)
  host.dialer = new Dialer(host, new BanList(() => clock.now()), silentLogger, { minConnections, bootstrap: bootstrap.map(String), clock })
  for (const id of bootstrap) host.known.set(id.toString(), id)
  return { clock, host, dialer: host.dialer }
}

test('at minConnections nothing runs until a connection is lost; then it dials a known peer', async () => {
  const { clock, host, dialer } = setup(2)
  for (const id of ids.slice(1, 3)) host.connect(id)
  host.known.set(ids[3]!.toString(), ids[3]!)
  host.reachable.add(ids[3]!.toString())
  dialer.start()
  await clock.advance(10 * 60_000)
  assert.is(dialer.ticks, 1, 'one look at start, none after')
  assert.is(host.storeReads, 0, 'the peer store is not read at minConnections')
  assert.is(dialer.scheduled, false)
  host.disconnect(ids[1]!) // gone for good: its dial fails, the other known peer's succeeds
  await clock.advance(3 * DIAL_TICK_MIN_MS)
  assert.ok(host.connected.has(ids[3]!.toString()))
  assert.is(host.connected.size, 2)
  assert.is(dialer.scheduled, false)
})

test('below minConnections with no one left to find, ticks back off to DIAL_TICK_MAX_MS and lookups to LOOKUP_INTERVAL_MAX_MS', async () => {
  // a network of 4: three peers, all connected, and minConnections 8
  const { clock, host, dialer } = setup(8)
  for (const id of ids.slice(1, 4)) host.connect(id)
  host.network = ids.slice(1, 4)
  dialer.start()
  const minutes = 10
  await clock.advance(minutes * 60_000)
  // before: a tick every 500 ms reading the whole peer store, 1,200 in 10 minutes
  const bound = (minutes * 60_000) / DIAL_TICK_MAX_MS + minutes * 2 + 12
  assert.ok(dialer.ticks <= bound, `${dialer.ticks} ticks in ${minutes} min (at most ${bound})`)
  assert.ok(host.storeReads <= dialer.ticks)
  const gaps = host.lookups.slice(1).map((at, i) => at - host.lookups[i]!)
  assert.ok(gaps.length >= 5, `${host.lookups.length} lookups`)
  assert.ok(gaps.every((gap, i) => i === 0 || gap >= gaps[i - 1]!), `lookup gaps grow: ${gaps.join(' ')}`)
  assert.ok(gaps.at(-1)! >= LOOKUP_INTERVAL_MAX_MS && gaps.at(-1)! <= LOOKUP_INTERVAL_MAX_MS + DIAL_TICK_MIN_MS, `last gap ${gaps.at(-1)}`)
})

test('the first connection starts a DHT lookup at once, and the peers it finds are dialled', async () => {
  const boot = ids[1]!
  const { clock, host, dialer } = setup(8, [boot])
  host.reachable.add(boot.toString())
  host.network = ids.slice(2, 9)
  for (const id of host.network) host.reachable.add(id.toString())
  dialer.start()
  await clock.advance(0)
  assert.is(host.connected.size, 1, 'the bootstrap peer, on the first tick')
  const connectedAt = clock.now()
  await clock.advance(2 * DIAL_TICK_MIN_MS)
  assert.is(host.lookups.length, 1)
  assert.ok(host.lookups[0]! - connectedAt <= DIAL_TICK_MIN_MS, `lookup ${host.lookups[0]! - connectedAt} ms after connecting`)
  await clock.advance(3 * DIAL_TICK_MIN_MS)
  assert.is(host.connected.size, 8, 'every peer found, dialled within a few ticks')
  assert.is(dialer.scheduled, false, 'at minConnections: nothing scheduled')
})

test(`a node with no connection retries its bootstrap peer every ${BOOTSTRAP_RETRY_MAX_MS} ms however often it failed`, async () => {
  const boot = ids[1]!
  const { clock, host, dialer } = setup(8, [boot])
  dialer.start()
  // the bootstrap peer is down for 3 minutes: before, the doubling wait reached 128 s by then
  await clock.advance(3 * 60_000)
  const attempts = host.dials.filter((d) => d.peer === boot.toString())
  const gaps = attempts.slice(1).map((d, i) => d.at - attempts[i]!.at)
  assert.ok(gaps.every((gap) => gap <= BOOTSTRAP_RETRY_MAX_MS + DIAL_TICK_MIN_MS), `gaps ${gaps.join(' ')}`)
  assert.ok(attempts.length <= (3 * 60_000) / 1_000, `${attempts.length} dials: not a tight loop`)
  host.reachable.add(boot.toString())
  const upAt = clock.now()
  await clock.advance(BOOTSTRAP_RETRY_MAX_MS + DIAL_TICK_MIN_MS)
  assert.ok(host.connected.has(boot.toString()), 'connected once it is up')
  assert.ok(host.dials.at(-1)!.at - upAt <= BOOTSTRAP_RETRY_MAX_MS + DIAL_TICK_MIN_MS)
})

test('a peer learnt while below minConnections is dialled within a tick, whatever the idle backoff', async () => {
  const { clock, host, dialer } = setup(4)
  host.connect(ids[1]!)
  dialer.start()
  await clock.advance(10 * 60_000)
  const late = ids[5]!
  host.reachable.add(late.toString())
  const at = clock.now()
  host.learn(late)
  await clock.advance(DIAL_TICK_MIN_MS)
  assert.equal(host.dials.map((d) => [d.peer, d.at - at]), [[late.toString(), DIAL_TICK_MIN_MS]])
})

test('a lookup waits for kad-dht to admit the first peer to its table, then runs at once', async () => {
  const boot = ids[1]!
  const { clock, host, dialer } = setup(8, [boot])
  host.reachable.add(boot.toString())
  host.table = 0 // kad-dht is still checking the bootstrap peer
  host.network = ids.slice(2, 6)
  for (const id of host.network) host.reachable.add(id.toString())
  dialer.start()
  await clock.advance(1_000)
  assert.is(host.lookups.length, 0, 'no query with an empty table: it would find no one')
  host.table = undefined // admitted
  const admittedAt = clock.now()
  await clock.advance(2_000)
  assert.ok(host.lookups.length >= 1)
  assert.ok(host.lookups[0]! - admittedAt <= 1_000, `lookup ${host.lookups[0]! - admittedAt} ms after the table had a peer`)
  assert.equal(host.reidentified, [], 'no need to identify again')
  assert.is(host.connected.size, 5, 'the peers it found are dialled')
})

test(`a table still empty ${TABLE_EMPTY_REIDENTIFY_MS} ms after connecting: peers identified again, paced like lookups`, async () => {
  // kad-dht's check of node0 failed: connected, but the table stays empty until identify runs again
  const boot = ids[1]!
  const { clock, host, dialer } = setup(8, [boot])
  host.reachable.add(boot.toString())
  host.table = 0
  host.network = ids.slice(2, 6)
  for (const id of host.network) host.reachable.add(id.toString())
  dialer.start()
  await clock.advance(TABLE_EMPTY_REIDENTIFY_MS - DIAL_TICK_MIN_MS)
  assert.equal(host.reidentified, [])
  await clock.advance(2 * DIAL_TICK_MIN_MS)
  assert.equal(host.reidentified, [boot.toString()], 'identified again') // the stub's table then has it
  await clock.advance(3 * LOOKUP_INTERVAL_MIN_MS)
  assert.ok(host.lookups.length >= 1, 'then a lookup')
  assert.is(host.connected.size, 5)
  // a table that never fills (a peer without the DHT): identify again ever more rarely
  const { clock: c2, host: h2, dialer: d2 } = setup(8, [boot])
  h2.reachable.add(boot.toString())
  h2.table = 0
  h2.reidentify = async (peer: PeerId) => void h2.reidentified.push(peer.toString())
  d2.start()
  await c2.advance(10 * 60_000)
  assert.ok(h2.reidentified.length <= 14, `${h2.reidentified.length} identify rounds in 10 min`)
  assert.is(h2.lookups.length, 0)
})

test('stop() leaves no timer behind', async () => {
  const { clock, host, dialer } = setup(8)
  host.connect(ids[1]!)
  dialer.start()
  await clock.advance(5_000)
  dialer.stop()
  assert.is(dialer.scheduled, false)
  const ticks = dialer.ticks
  host.learn(ids[2]!)
  await clock.advance(60_000)
  assert.is(dialer.ticks, ticks)
})

test.run()
