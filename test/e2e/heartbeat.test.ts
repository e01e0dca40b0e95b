// Blocks when there is work (issue 11): an idle network of 4 validators and a follower makes a
// heartbeat block every emptyBlockIntervalMs, and a transaction sent to the follower of an idle
// network is committed without waiting for the heartbeat. Real processes, checked through the API.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { AccountSigner, TxKind, encodeKvSet, encodeTx, sha256, toHex, utf8 } from '../../packages/core/src/index.ts'
import { Cluster, waitFor } from './cluster.ts'

const HEARTBEAT_MS = 2_000
const FOLLOWER = 4

const test = suite<{ cluster: Cluster }>('heartbeat blocks')

test.before(async (ctx) => {
  ctx.cluster = await Cluster.start({ validators: 4, followers: 1, config: { consensus: { emptyBlockIntervalMs: HEARTBEAT_MS } } })
})

test.after(async (ctx) => {
  await ctx.cluster?.stop()
})

/** Waits for the next block after the current head and returns the head's height then. */
async function nextBlock(cluster: Cluster, node = 0): Promise<number> {
  const client = cluster.nodes[node]!.client
  const from = (await client.status()).height
  return waitFor(`a block after ${from}`, async () => {
    const h = (await client.status()).height
    return h > from ? h : undefined
  }, HEARTBEAT_MS * 5, 50)
}

test('an idle network makes one block per heartbeat', async ({ cluster }) => {
  const client = cluster.nodes[0]!.client
  const first = await nextBlock(cluster)
  await waitFor('three more heartbeats', async () => (await client.status()).height >= first + 3, HEARTBEAT_MS * 8)
  const blocks = await client.blocks(first, first + 3)
  const gaps = blocks.slice(1).map((b, i) => b.time - blocks[i]!.time)
  process.stdout.write(`  idle block gaps: ${gaps.join(' ')} ms (heartbeat ${HEARTBEAT_MS} ms)\n`)
  for (const block of blocks) assert.is(block.txs.length, 0)
  // the block time is the proposer's clock when it built the block: at least a heartbeat apart,
  // and not much more (a round change on a loaded machine adds at most a propose timeout)
  for (const gap of gaps) assert.ok(gap >= HEARTBEAT_MS - 100 && gap < HEARTBEAT_MS + 1_500, `gap ${gap} ms`)
})

test('a transaction sent to a follower of an idle network commits well before the heartbeat', async ({ cluster }) => {
  const follower = cluster.nodes[FOLLOWER]!.client
  const status = await follower.status()
  const entity = Buffer.from(status.entity, 'hex')
  const account = new AccountSigner(sha256(utf8('heartbeat-account')))
  const latencies: number[] = []
  for (let nonce = 0; nonce < 5; nonce++) {
    await nextBlock(cluster, FOLLOWER) // a heartbeat block just passed: the network is idle
    const tx = encodeTx(account.signTransaction({ network: status.network, entity, nonce, kind: TxKind.KvSet, payload: encodeKvSet('beat', utf8(String(nonce))) }))
    const started = Date.now()
    await follower.submitTransaction(toHex(tx))
    const committed = await waitFor('the transaction committed', async () => {
      const s = await follower.transactionStatus(toHex(sha256(tx)))
      return s.status === 'committed' ? s : undefined
    }, HEARTBEAT_MS * 5, 10)
    latencies.push(Date.now() - started)
    const [parent, block] = await follower.blocks(committed.height - 1, committed.height)
    assert.ok(block!.time - parent!.time < HEARTBEAT_MS, `the block came ${block!.time - parent!.time} ms after its parent`)
  }
  const sorted = [...latencies].sort((a, b) => a - b)
  process.stdout.write(`  idle network, tx to a follower: commit latency ${latencies.join(' ')} ms, p50 ${sorted[2]} ms\n`)
  // the heartbeat is 2 s: a transaction that waited for it would take a second on average
  assert.ok(sorted[2]! < HEARTBEAT_MS / 2, `p50 ${sorted[2]} ms`)
})

test.run()
