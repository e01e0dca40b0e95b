import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { GRAYLIST_THRESHOLD } from '../../../packages/node/src/index.ts'
import type { Network, Verdict } from '../../../packages/node/src/index.ts'
import { bytes, connectedTo, failure, removeHomes, startNode, stopAll, text, waitFor } from './helpers.ts'

const SUBSCRIBERS = 5

test('a published message reaches every subscriber exactly once', async () => {
  const nodes: Network[] = []
  try {
    nodes.push(await startNode())
    const root = nodes[0]!.addresses()[0]!
    nodes.push(...(await Promise.all(Array.from({ length: SUBSCRIBERS }, () => startNode({ bootstrap: [root], minConnections: 3 })))))
    const topic = nodes[0]!.topic('0a', 'txs')
    const received = nodes.map(() => [] as string[])
    for (const [i, node] of nodes.entries()) node.subscribe(topic, () => 'accept', (data) => received[i]!.push(text(data)))
    // a message forwarded before a node has a mesh is lost to gossip (the node layer's sync
    // covers that); wait for meshes as an operator's node would by the time it has a block
    await waitFor('meshes formed', () =>
      nodes.every((n, i) => n.meshPeers(topic).length >= (i === 0 ? SUBSCRIBERS : 1)),
    )

    await nodes[0]!.publish(topic, bytes('one'))
    await nodes[3]!.publish(topic, bytes('two'))
    await waitFor('both messages everywhere', () => 
      received.every((got, i) => got.length >= (i === 0 || i === 3 ? 1 : 2)),
    )
    // give duplicates (mesh + flood publish paths) a chance to show up before counting
    await nodes[0]!.publish(topic, bytes('marker'))
    await waitFor('marker everywhere', () => received.every((got, i) => i === 0 || got.includes('marker')))
    for (const [i, got] of received.entries()) {
      const expected = i === 0 ? ['two'] : i === 3 ? ['one', 'marker'] : ['one', 'two', 'marker']
      assert.equal([...got].sort(), [...expected].sort(), `node ${i} got ${JSON.stringify(got)}`)
    }
  } finally {
    await stopAll(nodes)
    await removeHomes()
  }
})

test('rejected messages are not forwarded, lower the sender\'s score, and get it banned', async () => {
  let sender: Network | undefined
  let relay: Network | undefined
  let far: Network | undefined
  try {
    sender = await startNode()
    relay = await startNode()
    far = await startNode()
    // a line sender - relay - far: the far node hears the sender only through the relay
    await sender.ban(far.peerId, 'test topology')
    await far.ban(sender.peerId, 'test topology')
    await relay.connect(sender.addresses()[0]!)
    await far.connect(relay.addresses()[0]!)
    const topic = sender.topic('0b', 'vote')
    const atFar: string[] = []
    const relayVerdicts: Verdict[] = []
    const validate = (data: Uint8Array): Verdict => (text(data).startsWith('bad') ? 'reject' : 'accept')
    sender.subscribe(topic, () => 'accept', () => {})
    relay.subscribe(topic, (data) => {
      const verdict = validate(data)
      relayVerdicts.push(verdict)
      return verdict
    }, () => {})
    far.subscribe(topic, () => 'accept', (data) => atFar.push(text(data)))
    const r = relay
    const s = sender
    const f = far
    await waitFor('topic meshes', () => r.meshPeers(topic).includes(f.peerId) && s.meshPeers(topic).includes(r.peerId))

    await sender.publish(topic, bytes('good-1'))
    await sender.publish(topic, bytes('bad-1'))
    await sender.publish(topic, bytes('good-2'))
    await waitFor('good messages relayed', () => atFar.includes('good-1') && atFar.includes('good-2'))
    await waitFor('relay judged all three', () => relayVerdicts.length === 3)
    assert.equal(atFar.sort(), ['good-1', 'good-2'], 'the rejected message was not forwarded')

    const senderScore = (): number | undefined => r.peers().find((p) => p.peerId === s.peerId)?.score
    await waitFor('sender score below zero', () => (senderScore() ?? 0) < 0)
    assert.ok(senderScore()! > GRAYLIST_THRESHOLD, 'one reject is not yet a ban')
    assert.is(relay.banned().length, 0)

    // sustained garbage
    const banned = new Promise<string>((resolve) => r.once('peer:banned', (ban) => resolve(ban.peerId)))
    for (let i = 2; i <= 10; i++) await sender.publish(topic, bytes(`bad-${i}`))
    assert.is(await banned, sender.peerId)
    await waitFor('sender disconnected', () => !connectedTo(r, s) && !connectedTo(s, r))
    assert.equal(atFar.sort(), ['good-1', 'good-2'], 'no garbage reached the far node')
    // the sender cannot come back
    await failure(sender.connect(relay.addresses()[0]!))
    assert.is(connectedTo(r, s), false, 'redial refused')
    assert.is(await failure(relay.connect(sender.addresses()[0]!)), 'NETWORK_PEER_BANNED')
  } finally {
    await stopAll([sender, relay, far])
    await removeHomes()
  }
})

test.run()
