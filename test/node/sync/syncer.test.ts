// The syncer against peers that lie about their height (review C-2): a claim alone never takes
// the node out of consensus; a claim the peer cannot back costs it a strike (a penalty, and its
// claims ignored for a while that doubles each time); blocks proven by their certificates do.
// A real server machine over an in-memory store; the peers are a fake network answering the
// sync protocol from an honest chain built in the test, or lying.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  MemoryStore,
  Server,
  buildBlock,
  encodeBlock,
  encodeCommit,
  encodeServerInput,
  encodeString,
  genesisState,
  proposerIndex,
  type Tip,
} from '../../../packages/core/src/index.ts'
import { createLogger, silentLogger } from '../../../packages/node/src/logger.ts'
import { NetworkError, NetworkErrorCode } from '../../../packages/node/src/network/errors.ts'
import { FollowOrSync } from '../../../packages/node/src/sync/follow.ts'
import { SYNC_PRUNED, type SyncedBlock, decodeSyncRequest, encodeBlocks, encodeStatus } from '../../../packages/node/src/sync/protocol.ts'
import { STALLED_AFTER_MS, STATUS_FRESH_FOLLOWING_MS, Syncer, type SyncNetwork } from '../../../packages/node/src/sync/syncer.ts'
import { DISTRUST_BASE_MS, STRIKE_POINTS } from '../../../packages/node/src/sync/peer-claims.ts'
import { type TestChain, makeChain, seed } from '../../fixtures/chain.ts'

const THRESHOLD = 3
/** The syncer's deadlines, short so that a peer that never answers costs the test little. */
const FAST = { statusMs: 200, probeMs: 200, blocksMs: 200 }

/** `count` blocks with real quorum certificates, each built by its scheduled proposer. */
function honestChain(chain: TestChain, count: number): SyncedBlock[] {
  const validators = chain.validators.map((v) => ({ publicKey: v.bls.publicKey, account: v.account.address, shares: v.shares }))
  let tip: Tip = { height: 0, hash: chain.entity, time: chain.genesis.time, state: genesisState(chain.genesis).state }
  const out: SyncedBlock[] = []
  for (let h = 1; h <= count; h++) {
    const built = buildBlock({ tip, chain: { network: chain.network, entity: chain.entity }, time: tip.time + 100, proposer: proposerIndex(validators, h, 0), candidates: [] })
    out.push({ block: encodeBlock(built.block), commit: encodeCommit(chain.commit(h, built.hash, [0, 1, 2])) })
    tip = { height: h, hash: built.hash, time: built.block.header.time, state: built.state }
  }
  return out
}

/** Three big-endian bytes of a length. */
const be3 = (n: number) => [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]

type Behaviour = {
  claim: number
  /** What its status says it serves from (1 when absent). */
  servesFrom?: number
  /** Blocks below this are answered SYNC_PRUNED (its real range, which may differ from its status). */
  prunedBelow?: number
  /** After refusing, its status still says it serves from 1 (a liar, not a peer that pruned meanwhile). */
  keepsClaiming?: boolean
  serve: (from: number, count: number) => SyncedBlock[] | Promise<SyncedBlock[]>
}

class FakeNetwork implements SyncNetwork {
  readonly penalties: Array<{ peerId: string; reason: string; points: number }> = []
  readonly requests: Array<{ peerId: string; type: string; from?: number }> = []
  /** Blocks requests answered SYNC_PRUNED. */
  readonly refusals: Array<{ peerId: string; from: number }> = []
  constructor(readonly peersBy: Map<string, Behaviour>) {}
  peers() {
    return [...this.peersBy.keys()].map((peerId) => ({ peerId }))
  }
  async request(peerId: string, _protocol: string, data: Uint8Array, options: { timeoutMs: number }): Promise<Uint8Array> {
    const peer = this.peersBy.get(peerId)!
    const r = decodeSyncRequest(data)
    this.requests.push({ peerId, type: r.type, ...(r.type === 'blocks' ? { from: r.from } : {}) })
    if (r.type === 'status') return encodeStatus({ height: peer.claim, headHash: new Uint8Array(32), servesFrom: peer.servesFrom ?? 1 })
    if (r.from < (peer.prunedBelow ?? peer.servesFrom ?? 1)) {
      this.refusals.push({ peerId, from: r.from })
      if (!peer.keepsClaiming) peer.servesFrom = peer.prunedBelow // from now on its status says so too
      // as the real network hands a remote's refusal to the requester
      throw new NetworkError(NetworkErrorCode.RemoteError, `remote refused the request: ${SYNC_PRUNED}`, { remote: SYNC_PRUNED })
    }
    // as the real network does: no answer within the deadline is an error
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), options.timeoutMs)))
    try {
      return encodeBlocks(await Promise.race([peer.serve(r.from, r.count), deadline]))
    } finally {
      clearTimeout(timer)
    }
  }
  penalize(peerId: string, reason: string, points: number) {
    this.penalties.push({ peerId, reason, points })
  }
}

interface Ctx {
  chain: TestChain
  blocks: SyncedBlock[]
  server: Server
  clock: { now: number }
}

const sync = suite<Ctx>('sync against height liars')

sync.before(async (ctx) => {
  ctx.chain = makeChain()
  ctx.blocks = honestChain(ctx.chain, 40)
})

sync.before.each(async (ctx) => {
  ctx.server = await Server.open({ id: seed('sync test server'), store: new MemoryStore(), entities: [ctx.chain.genesis] })
  ctx.clock = { now: 1_000_000 }
})

function syncer(ctx: Ctx, network: SyncNetwork): Syncer {
  const entity = ctx.server.entity(ctx.chain.entity)!
  return new Syncer({ protocol: '/sync', network, server: ctx.server, entity, threshold: THRESHOLD, logger: silentLogger(), now: () => ctx.clock.now, timeouts: FAST })
}

const honest = (ctx: Ctx, height: number): Behaviour => ({ claim: height, serve: (from, count) => ctx.blocks.slice(from - 1, Math.min(from - 1 + count, height)) })

sync('a peer that claims a far height and serves nothing gets a strike, and its claims are ignored for a doubling while', async (ctx) => {
  const network = new FakeNetwork(new Map([['liar', { claim: 1000, serve: () => [] }]]))
  const s = syncer(ctx, network)
  await s.refresh()
  assert.ok(s.behind(), 'the claim alone says behind')
  assert.equal(await s.probe(), { kind: 'level' }, 'but the probe proves nothing')
  assert.is(network.penalties.length, 1)
  assert.is(network.penalties[0]!.peerId, 'liar')
  assert.is(s.strikesOf('liar'), 1)
  assert.not.ok(s.behind(), 'its claim is forgotten')

  // while distrusted, it is not even asked
  ctx.clock.now += DISTRUST_BASE_MS - 1
  const asked = network.requests.length
  await s.refresh()
  assert.is(network.requests.length, asked)
  // then asked again; a second strike silences it twice as long
  ctx.clock.now += 2
  await s.refresh()
  assert.ok(s.behind())
  await s.probe()
  assert.is(s.strikesOf('liar'), 2)
  // a claim taken back costs 200 points, doubled for the second: 600, past the ban at 400
  assert.equal(network.penalties.map((p) => p.points), [STRIKE_POINTS.unbacked, 2 * STRIKE_POINTS.unbacked])
  ctx.clock.now += DISTRUST_BASE_MS + 1
  await s.refresh()
  assert.not.ok(s.behind(), 'still silent after one base period')
  ctx.clock.now += DISTRUST_BASE_MS
  await s.refresh()
  assert.ok(s.behind(), 'heard again after two')
})

sync('peers are asked their height every 2 s while the tip stands still, every 30 s while it moves', async (ctx) => {
  const network = new FakeNetwork(new Map([['peer', honest(ctx, 40)]]))
  const s = syncer(ctx, network)
  const statuses = () => network.requests.filter((r) => r.type === 'status').length
  const apply = (h: number) => {
    const { block, commit } = ctx.blocks[h - 1]!
    const out = ctx.server.receive(encodeServerInput([[ctx.chain.entity, [encodeString('block'), block, commit]]]))[0]
    assert.is(out?.type, 'block.committed')
  }
  await s.refresh()
  assert.is(statuses(), 1, 'a node just started asks at once')
  for (let h = 1; h <= 5; h++) {
    apply(h)
    ctx.clock.now += 2_500
    await s.refresh()
  }
  assert.is(statuses(), 1, 'the tip moved every 2.5 s: nobody asked for 12.5 s')
  ctx.clock.now += STALLED_AFTER_MS
  await s.refresh()
  assert.is(statuses(), 2, 'the tip stood still: asked')
  ctx.clock.now += 2_001
  await s.refresh()
  assert.is(statuses(), 3, 'and again 2 s later')
  apply(6)
  await s.refresh()
  ctx.clock.now += 2_001
  await s.refresh()
  assert.is(statuses(), 3, 'moving again: not asked')
  ctx.clock.now += STATUS_FRESH_FOLLOWING_MS
  apply(7)
  await s.refresh()
  assert.is(statuses(), 4, 'but still every 30 s')
})

sync('blocks whose certificates do not verify are no evidence, and cost a strike', async (ctx) => {
  const forged = ctx.blocks.slice(0, 20).map((b) => ({ block: b.block, commit: encodeCommit(ctx.chain.commit(1, new Uint8Array(32), [0, 1, 2])) }))
  const network = new FakeNetwork(new Map([['forger', { claim: 1000, serve: () => forged }]]))
  const s = syncer(ctx, network)
  await s.refresh()
  assert.equal(await s.probe(), { kind: 'level' })
  assert.is(s.strikesOf('forger'), 1)
  assert.equal(network.penalties.map((p) => p.points), [STRIKE_POINTS.forged], 'forged data: a ban at once')
})

sync('a block of 200,000 one-byte items costs the peer a strike, not the node its memory (review H-5 c)', async (ctx) => {
  // written out by hand: RLP [[""], [0x01 x 200,000]] (the library encoder cannot take that many)
  const items = 200_000
  const bomb = Uint8Array.from([0xfa, ...be3(items + 6), 0xc1, 0x80, 0xfa, ...be3(items), ...new Uint8Array(items).fill(1)])
  const network = new FakeNetwork(new Map([['bomber', { claim: 1000, serve: () => [{ block: bomb, commit: ctx.blocks[0]!.commit }] }]]))
  const s = syncer(ctx, network)
  await s.refresh()
  const heap = process.memoryUsage().heapUsed
  assert.equal(await s.probe(), { kind: 'level' })
  assert.ok(process.memoryUsage().heapUsed - heap < 16 * 1024 * 1024, 'decoding it cost little memory')
  assert.is(s.strikesOf('bomber'), 1)
})

sync('an honest peer far ahead proves it; catch-up applies its blocks', async (ctx) => {
  const network = new FakeNetwork(new Map([['honest', honest(ctx, 40)]]))
  const s = syncer(ctx, network)
  await s.refresh()
  const probe = await s.probe()
  assert.is(probe.kind, 'behind')
  assert.is(await s.catchUp(probe.kind === 'behind' ? probe : undefined), 40)
  assert.is(ctx.server.entity(ctx.chain.entity)!.tip.height, 40)
  assert.equal(network.penalties, [])
})

sync('a few proven blocks are handed to consensus, not a reason to leave it', async (ctx) => {
  // it claims far more than it can prove: the two real blocks are all there is
  const network = new FakeNetwork(new Map([['short', { claim: 100, serve: (from) => ctx.blocks.slice(from - 1, 2) }]]))
  const s = syncer(ctx, network)
  await s.refresh()
  const probe = await s.probe()
  assert.is(probe.kind, 'near')
  assert.is(probe.kind === 'near' ? probe.blocks.length : 0, 2)
})

sync('with only a liar connected, the follow-or-sync switch never stops consensus', async (ctx) => {
  const network = new FakeNetwork(new Map([['liar', { claim: 1000, serve: () => [] }], ['slowpoke', { claim: 900, serve: () => new Promise(() => {}) }]]))
  const s = syncer(ctx, network)
  let stops = 0
  const follow = new FollowOrSync({
    syncer: s,
    consensus: { start: async () => {}, stop: () => stops++, takeCommitted: () => {} },
    tipHeight: () => 0,
    intervalMs: 1_000_000,
    logger: silentLogger(),
  })
  // the slow peer never answers: its probe times out and costs it a strike, like the empty answer
  for (let i = 0; i < 6; i++) {
    await follow.check()
    ctx.clock.now += 60_000
  }
  assert.is(stops, 0)
  assert.ok(network.penalties.some((p) => p.peerId === 'liar'))
  assert.ok(network.penalties.some((p) => p.peerId === 'slowpoke'))
})

// ---- peers that pruned old blocks (storage.keepBlocks)

sync('a fresh node gets the old blocks from the peer that kept them, and asks the pruned one only for what it serves', async (ctx) => {
  const network = new FakeNetwork(new Map([['pruned', { ...honest(ctx, 40), servesFrom: 30 }], ['archive', honest(ctx, 40)]]))
  const s = syncer(ctx, network)
  await s.refresh()
  assert.is(s.blockedBy(), undefined, 'one peer ahead serves height 1')
  const probe = await s.probe()
  assert.is(probe.kind, 'behind')
  assert.is(probe.kind === 'behind' ? probe.peerId : '', 'archive', 'the probe asks the peer that has height 1')
  assert.is(await s.catchUp(probe.kind === 'behind' ? probe : undefined), 40)
  assert.is(ctx.server.entity(ctx.chain.entity)!.tip.height, 40)
  assert.equal(network.refusals, [], 'the pruned peer was never asked for what it said it lacks')
  assert.ok(network.requests.filter((r) => r.peerId === 'pruned' && r.type === 'blocks').every((r) => r.from! >= 30))
  assert.equal(network.penalties, [])
  assert.is(s.strikesOf('pruned'), 0)
})

sync('a peer that pruned after its status said otherwise answers SYNC_PRUNED: no strike, its range corrected, another serves', async (ctx) => {
  // its status says it serves everything (it answered before its pruner ran); in this order, the
  // first window after the probe's is asked of it whichever peer the probe picked
  const network = new FakeNetwork(new Map([['archive', honest(ctx, 40)], ['stale', { ...honest(ctx, 40), prunedBelow: 30 }]]))
  const s = syncer(ctx, network)
  await s.refresh()
  const follow = new FollowOrSync({ syncer: s, consensus: { start: async () => {}, stop: () => {}, takeCommitted: () => {} }, tipHeight: () => 0, intervalMs: 1_000_000, logger: silentLogger() })
  // the probe picks one of the two at random; a refused probe proves nothing, so check again
  for (let i = 0; i < 4 && ctx.server.entity(ctx.chain.entity)!.tip.height < 40; i++) await follow.check()
  assert.is(ctx.server.entity(ctx.chain.entity)!.tip.height, 40)
  assert.ok(network.refusals.length >= 1, 'the stale peer was asked below its real range at least once')
  assert.ok(network.refusals.every((r) => r.peerId === 'stale'))
  assert.equal(network.penalties, [], 'a refusal is no strike')
  assert.is(s.strikesOf('stale'), 0)
})

sync('a peer whose status keeps claiming heights it refused is not asked for them again', async (ctx) => {
  const network = new FakeNetwork(new Map([['claimer', { ...honest(ctx, 40), prunedBelow: 30, keepsClaiming: true }]]))
  const s = syncer(ctx, network)
  for (let i = 0; i < 5; i++) {
    await s.refresh()
    await s.probe()
    ctx.clock.now += 3_000
  }
  assert.is(network.refusals.length, 1, 'refused once, then believed over its status')
  assert.equal(s.blockedBy(), { code: 'SYNC_PEERS_PRUNED', need: 1, peersServeFrom: 2 })
  assert.equal(network.penalties, [])
})

sync('with only pruned peers ahead, the node says why it cannot sync (status, one log line) and strikes nobody', async (ctx) => {
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(JSON.parse(line)) } })
  const network = new FakeNetwork(new Map([['pruned-a', { ...honest(ctx, 40), servesFrom: 30 }], ['pruned-b', { ...honest(ctx, 38), servesFrom: 25 }]]))
  const entity = ctx.server.entity(ctx.chain.entity)!
  const s = new Syncer({ protocol: '/sync', network, server: ctx.server, entity, threshold: THRESHOLD, logger, now: () => ctx.clock.now, timeouts: FAST })
  let stops = 0
  const follow = new FollowOrSync({ syncer: s, consensus: { start: async () => {}, stop: () => stops++, takeCommitted: () => {} }, tipHeight: () => 0, intervalMs: 1_000_000, logger })
  for (let i = 0; i < 5; i++) {
    await follow.check()
    ctx.clock.now += 3_000
  }
  assert.equal(s.blockedBy(), { code: 'SYNC_PEERS_PRUNED', need: 1, peersServeFrom: 25 })
  assert.is(stops, 0, 'consensus keeps running')
  assert.equal(network.penalties, [])
  assert.is(network.requests.filter((r) => r.type === 'blocks').length, 0, 'nobody is asked for blocks it said it lacks')
  const said = lines.filter((l) => l['code'] === 'SYNC_PEERS_PRUNED')
  assert.is(said.length, 1, 'said once, not every check')
  assert.is(said[0]!['level'], 40, 'as a warning')
  assert.is(said[0]!['peersServeFrom'], 25)

  // a peer that kept the blocks turns up: the node is no longer blocked and catches up
  network.peersBy.set('archive', honest(ctx, 40))
  ctx.clock.now += 3_000
  await s.refresh()
  assert.is(s.blockedBy(), undefined)
  const probe = await s.probe()
  assert.is(probe.kind, 'behind')
  assert.is(await s.catchUp(probe.kind === 'behind' ? probe : undefined), 40)
  assert.equal(network.penalties, [])
})

sync.run()
