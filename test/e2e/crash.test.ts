// SIGKILL of one validator under load: the other three keep committing; restarted, it catches
// up and follows consensus again, and no vote it signed conflicts with one it signed before the
// kill (every vote on the network is watched by an observer). Transactions the killed node had
// accepted are not lost.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  AccountSigner,
  TxKind,
  decodeVote,
  encodeCounterAdd,
  encodeTx,
  sha256,
  toHex,
  utf8,
} from '../../packages/core/src/index.ts'
import { decodeEnvelope } from '../../packages/node/src/consensus/messages.ts'
import { gossipTopic } from '../../packages/node/src/network/protocols.ts'
import { Cluster, waitFor } from './cluster.ts'
import { PlainPeer } from './plain-peer.ts'

const VICTIM = 3

test('a validator killed with SIGKILL under load comes back, catches up, and never double-signs', async () => {
  const cluster = await Cluster.start({ validators: 4 })
  let observer: PlainPeer | undefined
  let loading = true
  try {
    const status = await cluster.nodes[0]!.client.status()
    const voteTopic = gossipTopic(status.network, status.entity, 'vote')
    observer = await PlainPeer.start()
    observer.subscribe([voteTopic])
    await observer.dial(cluster.nodes[0]!.multiaddr)
    await observer.dial(cluster.nodes[1]!.multiaddr)
    await waitFor('first blocks', async () => Math.min(...(await cluster.heights())) >= 3)

    // load: accounts submitting in turn to every running node, the victim included
    const accounts = Array.from({ length: 8 }, (_, i) => new AccountSigner(sha256(utf8(`crash-load-${i}`))))
    const nonces = accounts.map(() => 0)
    const accepted: string[] = []
    const entity = Buffer.from(status.entity, 'hex')
    const load = (async () => {
      let turn = 0
      while (loading) {
        const sends = accounts.map(async (account, a) => {
          const node = cluster.running()[turn++ % cluster.running().length]
          if (!node) return
          const tx = encodeTx(account.signTransaction({ network: status.network, entity, nonce: nonces[a]!, kind: TxKind.CounterAdd, payload: encodeCounterAdd(1) }))
          try {
            const { hash } = await node.client.submitTransaction(toHex(tx))
            accepted.push(hash)
            nonces[a]!++
          } catch {
            // refused or the node died meanwhile: the same nonce is tried again next turn
          }
        })
        await Promise.all(sends)
        await new Promise((r) => setTimeout(r, 20))
      }
    })()

    await waitFor('load flowing', async () => accepted.length >= 40)
    const killedAt = (await cluster.nodes[VICTIM]!.client.status()).height
    await cluster.kill(VICTIM, 'SIGKILL')
    const others = cluster.nodes.filter((_, i) => i !== VICTIM)
    const before = Math.min(...(await cluster.heights(others)))
    await waitFor('the other three keep committing', async () => Math.min(...(await cluster.heights(others))) >= before + 10, 30_000)

    await cluster.startNode(VICTIM)
    const victim = cluster.nodes[VICTIM]!
    await waitFor('the restarted validator catches up', async () => {
      const [mine, theirs] = [(await victim.client.status()).height, Math.max(...(await cluster.heights(others)))]
      return mine >= theirs - 1 && mine > killedAt
    }, 60_000)
    const caughtUp = (await victim.client.status()).height
    await waitFor('and follows consensus', async () => (await victim.client.status()).height >= caughtUp + 5, 30_000)
    loading = false
    await load

    // nothing accepted was lost, the killed node's share included
    const client = cluster.nodes[0]!.client
    const committed = new Set<string>()
    let walked = 0
    const missing = () => accepted.filter((h) => !committed.has(h))
    await waitFor('every accepted transaction committed', async () => {
      const head = (await client.status()).height
      for (let from = walked + 1; from <= head; from += 100) {
        for (const block of await client.blocks(from, Math.min(head, from + 99))) for (const tx of block.txs) committed.add(tx.hash)
      }
      walked = head
      return missing().length === 0
    }, 30_000, 500).catch((err: Error) => {
      throw new Error(`${err.message}: ${missing().length} of ${accepted.length} missing`)
    })

    // no validator signed two different values for one height, round and step
    const signed = new Map<string, string>()
    for (const { data: bytes } of observer.received.filter((r) => r.topic === voteTopic)) {
      const vote = decodeVote(decodeEnvelope(bytes, 512))
      const key = `${vote.validator}/${vote.height}/${vote.round}/${vote.step}`
      const value = vote.blockHash ? toHex(vote.blockHash) : 'nil'
      const earlier = signed.get(key)
      assert.ok(earlier === undefined || earlier === value, `validator ${vote.validator} signed ${earlier} and ${value} at ${key}`)
      signed.set(key, value)
    }
    const victimVotes = [...signed.keys()].filter((k) => k.startsWith(`${VICTIM}/`))
    assert.ok(victimVotes.some((k) => Number(k.split('/')[1]) <= killedAt), 'votes of the victim before the kill were seen')
    assert.ok(victimVotes.some((k) => Number(k.split('/')[1]) > caughtUp), 'and after it')
    process.stdout.write(`  killed at ${killedAt}, caught up at ${caughtUp}; ${accepted.length} transactions, ${signed.size} distinct votes checked\n`)
  } finally {
    loading = false
    await observer?.stop()
    await cluster.stop()
  }
})

test.run()
