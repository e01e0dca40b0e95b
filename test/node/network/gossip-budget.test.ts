// Validation budgets (review H-4): a flood on one topic, or from one peer, must not make the
// node drop messages of another topic or of other peers. The flood's validator never answers,
// so every message of it holds its slot for good.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_MAX_PENDING_PER_PEER } from '../../../packages/node/src/index.ts'
import type { Network, VerdictEvent } from '../../../packages/node/src/index.ts'
import { bytes, removeHomes, startNode, stopAll, waitFor } from './helpers.ts'

/** More than the old global cap (1,024), so the test fails against it. */
const FLOOD = 1100

test('a stuck topic filled by one peer holds up neither another topic nor another peer', async () => {
  let victim: Network | undefined
  let flooder: Network | undefined
  let other: Network | undefined
  let release: () => void = () => {}
  const stuck = new Promise<'ignore'>((resolve) => {
    release = () => resolve('ignore')
  })
  try {
    ;[victim, flooder, other] = await Promise.all([startNode(), startNode(), startNode()])
    const txs = victim.topic('0d', 'txs')
    const votes = victim.topic('0d', 'vote')
    const validating: string[] = []
    const voted: string[] = []
    const verdicts: VerdictEvent[] = []
    victim.on('gossip:verdict', (event) => verdicts.push(event))
    victim.subscribe(txs, (_data, from) => {
      validating.push(from)
      return stuck
    }, () => {})
    victim.subscribe(votes, () => 'accept', (_data, from) => voted.push(from))
    for (const node of [flooder, other]) {
      node.subscribe(txs, () => 'accept', () => {})
      node.subscribe(votes, () => 'accept', () => {})
      await node.connect(victim.addresses()[0]!)
    }
    const [v, f, o] = [victim, flooder, other]
    await waitFor('both peers in the victim\'s topics', () =>
      [txs, votes].every((t) => v.topicPeers(t).includes(f.peerId) && v.topicPeers(t).includes(o.peerId)) &&
      f.topicPeers(txs).includes(v.peerId) && f.topicPeers(votes).includes(v.peerId) && o.topicPeers(txs).includes(v.peerId),
    )

    for (let i = 0; i < FLOOD; i++) await flooder.publish(txs, bytes(`flood-${i}`))
    const fromFlooder = () => validating.filter((id) => id === f.peerId).length + verdicts.filter((e) => e.from === f.peerId).length
    await waitFor('the whole flood seen (validating or ignored)', () => fromFlooder() >= FLOOD, 30_000)

    await other.publish(txs, bytes('honest tx'))
    await waitFor('the other peer\'s tx validated', () => validating.includes(o.peerId))
    await flooder.publish(votes, bytes('a vote'))
    await waitFor('the vote delivered', () => voted.includes(f.peerId))

    assert.is(validating.filter((id) => id === f.peerId).length, DEFAULT_MAX_PENDING_PER_PEER)
    const spilled = verdicts.filter((e) => e.from === f.peerId && e.topic === txs)
    assert.is(spilled.length, FLOOD - DEFAULT_MAX_PENDING_PER_PEER)
    assert.ok(spilled.every((e) => e.verdict === 'ignore' && e.overBudget === 'peer'), 'over the peer budget: ignored')
    const pending = victim.pendingValidations(txs)!
    assert.is(pending.total, DEFAULT_MAX_PENDING_PER_PEER + 1)
    assert.is(pending.byPeer.get(f.peerId), DEFAULT_MAX_PENDING_PER_PEER)
    assert.is(pending.byPeer.get(o.peerId), 1)
    assert.is(victim.pendingValidations(votes)!.total, 0)
  } finally {
    release()
    await stopAll([victim, flooder, other])
    await removeHomes()
  }
})

test('the topic budget caps all peers together; a freed slot is reused', async () => {
  let victim: Network | undefined
  let a: Network | undefined
  let b: Network | undefined
  const waiting: Array<() => void> = []
  try {
    ;[victim, a, b] = await Promise.all([startNode(), startNode(), startNode()])
    const txs = victim.topic('0e', 'txs')
    const verdicts: VerdictEvent[] = []
    victim.on('gossip:verdict', (event) => verdicts.push(event))
    victim.subscribe(txs, () => new Promise<'accept'>((resolve) => waiting.push(() => resolve('accept'))), () => {}, { maxPending: 6, maxPendingPerPeer: 4 })
    for (const node of [a, b]) {
      node.subscribe(txs, () => 'accept', () => {})
      await node.connect(victim.addresses()[0]!)
    }
    const [v, pa, pb] = [victim, a, b]
    await waitFor('topic peers', () => v.topicPeers(txs).length === 2 && pa.topicPeers(txs).includes(v.peerId) && pb.topicPeers(txs).includes(v.peerId))

    for (let i = 0; i < 5; i++) await a.publish(txs, bytes(`a-${i}`))
    await waitFor('a: 4 validating, 1 over its budget', () => waiting.length === 4 && verdicts.length === 1)
    for (let i = 0; i < 3; i++) await b.publish(txs, bytes(`b-${i}`))
    await waitFor('b: 2 validating, 1 over the topic budget', () => waiting.length === 6 && verdicts.length === 2)
    assert.equal(verdicts.map((e) => [e.from === pa.peerId ? 'a' : 'b', e.overBudget]), [['a', 'peer'], ['b', 'topic']])

    waiting.shift()!()
    await waitFor('the slot freed', () => v.pendingValidations(txs)!.total === 5)
    await b.publish(txs, bytes('b-again'))
    await waitFor('b validated again', () => waiting.length === 6)
    assert.throws(() => v.subscribe(v.topic('0e', 'vote'), () => 'accept', () => {}, { maxPending: 0 }), RangeError)
  } finally {
    for (const resolve of waiting) resolve()
    await stopAll([victim, a, b])
    await removeHomes()
  }
})

test.run()
