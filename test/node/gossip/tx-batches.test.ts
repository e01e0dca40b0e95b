// A transaction batch from a peer costs at most what its first few useless or invalid
// transactions cost (review H-4): a batch stops at its first transaction that could never be
// valid, and a batch of nonce gaps is not read past a few of them. Over a real server machine.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AccountSigner, MemoryStore, Server, TxKind, encodeCounterAdd, encodeRlp } from '../../../packages/core/src/index.ts'
import { MAX_NONCE_GAPS_PER_BATCH, TxBatches } from '../../../packages/node/src/gossip/tx-batches.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()

async function batches(): Promise<{ txs: TxBatches; useless: string[] }> {
  const server = await Server.open({ id: seed('tx batches test'), store: new MemoryStore(), entities: [chain.genesis], sync: false })
  const useless: string[] = []
  const txs = new TxBatches({ server, entity: server.entity(chain.entity)!, publish: () => {}, batchMs: 5, onUseless: (peer) => useless.push(peer) })
  return { txs, useless }
}

const add = (who: AccountSigner, nonce: number) => chain.tx(who, nonce, TxKind.CounterAdd, encodeCounterAdd(1))
const accounts = (n: number, label: string) => Array.from({ length: n }, (_, i) => new AccountSigner(seed(`${label}-${i}`)))

test('a batch of nonce gaps is read only as far as a few of them, and counts as useless', async () => {
  const { txs, useless } = await batches()
  const batch = encodeRlp(accounts(200, 'gap').map((a) => add(a, 10_000)))
  const { verdict, outcome } = txs.receive(batch)
  assert.is(verdict, 'ignore')
  assert.is(outcome.rejected.length, MAX_NONCE_GAPS_PER_BATCH, 'the rest was not read')
  assert.ok(outcome.rejected.every((r) => r.code === 'TX_NONCE_GAP'))
  await txs.receiveQueued(batch, 'peer-a')
  assert.equal(useless, ['peer-a'])
})

test('a batch stops at its first transaction that could never be valid', async () => {
  const { txs } = await batches()
  const [a, b, c] = accounts(3, 'stop')
  const forged = add(b!, 0)
  forged[forged.length - 1]! ^= 1
  const { verdict, outcome } = txs.receive(encodeRlp([add(a!, 0), forged, add(c!, 0)]))
  assert.is(verdict, 'reject')
  assert.is(outcome.admitted.length, 1, 'the one before it is admitted')
  assert.equal(outcome.rejected.map((r) => r.code), ['TX_BAD_SIGNATURE'], 'the one after it is not looked at')
})

test('an honest batch is admitted whole', async () => {
  const { txs } = await batches()
  const { verdict, outcome } = txs.receive(encodeRlp(accounts(50, 'honest').map((a) => add(a, 0))))
  assert.is(verdict, 'accept')
  assert.is(outcome.admitted.length, 50)
})

test.run()
