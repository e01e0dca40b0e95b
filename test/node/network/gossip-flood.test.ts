// CVE-2026-46679 (gossipsub subscription flood) against a started node: a raw peer writes
// gossipsub RPC frames naming hundreds of thousands of unique topics. The node must keep its
// topic map to the topics it hosts, keep its heap bounded, and ban the peer. A peer under this
// network's prefix (another entity's topics) is remembered within a cap and not banned.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Network } from '../../../packages/node/src/index.ts'
import type { P2p } from '../../../packages/node/src/network/libp2p.ts'
import { MAX_UNHOSTED_TOPICS_PER_PEER } from '../../../packages/node/src/network/guarded-gossipsub.ts'
import { MAX_SUBSCRIPTIONS_PER_RPC } from '../../../packages/node/src/network/rpc-limits.ts'
import { PlainPeer } from '../../e2e/plain-peer.ts'
import { MESHSUB, RawPeer, concat, lengthPrefixed, rpcFrame, varint } from './raw-peer.ts'
import { MiB, heapAfterGc, removeHomes, startNode, stopAll, waitFor } from './helpers.ts'

const TOPICS_PER_RPC = 1000
/** The attacker's budget: a million unique topics, unless a ban cuts it short. */
const RPCS = 1000
/** Heap the node may keep after the flood: well under what 400,000 tracked topics take (about 60 MB). */
const MAX_HEAP_GROWTH = 16 * MiB

/** gossipsub's private topic map (peer subscriptions by topic): what the flood used to grow. */
function trackedTopics(node: Network): number {
  const pubsub = (node as unknown as { libp2p: P2p }).libp2p.services.pubsub
  return (pubsub as unknown as { topics: Map<string, Set<string>> }).topics.size
}

function* flood(prefix: string, rpcs: number, perRpc: number): Generator<Uint8Array> {
  for (let r = 0; r < rpcs; r++) {
    const subscriptions = Array.from({ length: perRpc }, (_, i) => ({ topic: `${prefix}${r}-${i}`, subscribe: true }))
    yield rpcFrame({ subscriptions })
  }
}

function hostAll(node: Network, entity: string): void {
  for (const topic of Object.values(node.topics(entity))) node.subscribe(topic, () => 'accept', () => {})
}

/** A started node hosting entity `ab`, a raw attacker with a meshsub stream open to it; both stopped after `run`. */
async function againstNode(run: (victim: Network, attacker: RawPeer, stream: Awaited<ReturnType<RawPeer['open']>>) => Promise<void>): Promise<void> {
  let victim: Network | undefined
  let attacker: RawPeer | undefined
  try {
    victim = await startNode()
    hostAll(victim, 'ab')
    attacker = await RawPeer.start()
    await run(victim, attacker, await attacker.open(victim.addresses()[0]!, MESHSUB))
  } finally {
    await attacker?.stop()
    await stopAll([victim])
    await removeHomes()
  }
}

test('a flood of foreign topics leaves the topic map alone, the heap bounded, and the peer banned', () =>
  againstNode(async (victim, attacker, stream) => {
    const before = heapAfterGc()

    const oversized = rpcFrame({
      subscriptions: Array.from({ length: MAX_SUBSCRIPTIONS_PER_RPC + 1 }, (_, i) => ({ topic: `/x/${i}`, subscribe: true })),
    })
    const writing = attacker.write(stream, (function* () {
      yield oversized
      yield* flood('/evil/', RPCS, TOPICS_PER_RPC)
    })())
    const id = attacker.id
    const banned = () => victim.banned().some((ban) => ban.peerId === id)
    // (without the guard the map grows instead: stop waiting once it shows)
    const after = await waitFor('the attacker banned', () => banned() || trackedTopics(victim) > 100_000, 30_000)
    const written = await writing
    const growth = heapAfterGc() - before
    console.log(`  foreign flood: ${banned() ? 'banned' : 'not banned'} after ${after} ms, ${written} RPCs of ${TOPICS_PER_RPC} topics taken by the stream, ${trackedTopics(victim)} topics tracked, heap +${(growth / MiB).toFixed(1)} MiB`)

    assert.ok(trackedTopics(victim) <= 4, `tracked ${trackedTopics(victim)} topics`)
    assert.ok(growth < MAX_HEAP_GROWTH, `heap grew ${(growth / MiB).toFixed(1)} MiB`)
    assert.ok(banned(), 'attacker banned')
    await waitFor('the attacker disconnected', () => !victim.peers().some((p) => p.peerId === id))
  }))

test('topics of this network the node does not host are remembered within a cap, then cost a little', () =>
  againstNode(async (victim, attacker, stream) => {
    const before = heapAfterGc()
    const pubsub = (victim as unknown as { libp2p: P2p }).libp2p.services.pubsub
    const id = attacker.id
    // 600 RPCs of 1,000 unhosted topics: 1 point per RPC past the cap, so a ban after about 400
    const writing = attacker.write(stream, flood('/p2pnode/test/cd/txs/', 600, 1000))
    const bannedAfter = await waitFor('the attacker banned', () => victim.banned().some((ban) => ban.peerId === id), 30_000)
    await writing
    const growth = heapAfterGc() - before
    console.log(`  prefix flood: banned after ${bannedAfter} ms, ${trackedTopics(victim)} topics tracked, heap +${(growth / MiB).toFixed(1)} MiB`)
    assert.ok(trackedTopics(victim) <= 4, `tracked ${trackedTopics(victim)} topics`)
    assert.ok(growth < MAX_HEAP_GROWTH, `heap grew ${(growth / MiB).toFixed(1)} MiB`)
    // a banned peer leaves no memory behind (swept at the next heartbeat)
    await waitFor('the peer forgotten', () => pubsub.unhostedTopics(id) === 0)
  }))

/** An RPC of one IHAVE listing `ids` empty message ids, encoded by hand (2 bytes per id). */
function ihaveBomb(ids: number): Uint8Array {
  const entry = new Uint8Array(2 * ids)
  for (let i = 0; i < entry.length; i += 2) entry[i] = 0x12 // field 2 (messageIDs), length 0 follows
  const ihave = concat([Uint8Array.of(0x0a), varint(entry.length), entry]) // ControlMessage.ihave
  return lengthPrefixed(concat([Uint8Array.of(0x1a), varint(ihave.length), ihave])) // RPC.control
}

test('control lists are bounded too: an IHAVE of a million ids is refused before decoding and charged', () =>
  againstNode(async (victim, attacker, stream) => {
    const bomb = ihaveBomb(1_000_000)
    const id = attacker.id
    const started = Date.now()
    // 50 points each: the ninth is past the ban (gossipsub 14.1.2 would decode each into about
    // 200 MB of heap and a second of CPU, and never charge anyone)
    void attacker.write(stream, Array.from({ length: 12 }, () => bomb))
    await waitFor('the attacker banned', () => victim.banned().some((ban) => ban.peerId === id), 30_000)
    console.log(`  IHAVE bomb: banned after ${Date.now() - started} ms`)
  }))

test('an honest peer hosting other entities keeps its standing, and joins a topic the node subscribes to later', async () => {
  let node: Network | undefined
  let honest: PlainPeer | undefined
  try {
    node = await startNode()
    hostAll(node, 'ab')
    honest = await PlainPeer.start()
    // 100 other entities (400 topics, over the per-peer memory) plus entity 'ef', which the node
    // starts hosting only after the peer has announced its subscriptions
    const others = Array.from({ length: 100 }, (_, i) => Object.values(node!.topics(`e${i.toString(16)}`))).flat()
    const later = node.topic('ef', 'vote')
    honest.subscribe([later, ...others])
    await honest.dial(node.addresses()[0]!)
    const n = node
    const id = honest.id
    const pubsub = (node as unknown as { libp2p: P2p }).libp2p.services.pubsub
    await waitFor('the peer\'s subscriptions received', () => pubsub.unhostedTopics(id) > 0)
    assert.is(pubsub.unhostedTopics(id), MAX_UNHOSTED_TOPICS_PER_PEER)
    assert.ok(trackedTopics(node) <= 4, `tracked ${trackedTopics(node)} topics`)

    n.subscribe(later, () => 'accept', () => {})
    await waitFor('the peer seen in the later topic', () => n.topicPeers(later).includes(id))
    assert.is(n.banned().length, 0)
    const peer = n.peers().find((p) => p.peerId === id)
    assert.ok(peer != null && peer.score > -10, `score ${peer?.score}`)
  } finally {
    await honest?.stop()
    await stopAll([node])
    await removeHomes()
  }
})

test.run()
