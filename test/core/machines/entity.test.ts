import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import { toHex } from '../../../packages/core/src/bytes.ts'
import { encodeBlock, encodeCommit } from '../../../packages/core/src/codec/objects.ts'
import { EntityMachine } from '../../../packages/core/src/machines/entity.ts'
import { encodeCounterAdd, encodeProposalVote } from '../../../packages/core/src/machines/payloads.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { MemoryStore } from '../../../packages/core/src/storage/memory.ts'
import { TxKind } from '../../../packages/core/src/types/chain.ts'
import { MAX_CLOCK_DRIFT_MS, proposerIndex } from '../../../packages/core/src/consensus/index.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()
const alice = new AccountSigner(seed('alice'))
/** Validating a proposal of height 1 at round 0, with a clock just past the block's time. */
const at = { round: 0, now: chain.genesis.time + 200 }
const first = proposerIndex(chain.genesis.validators, 1, 0)
const second = proposerIndex(chain.genesis.validators, 1, 1)

async function twoNodes() {
  const a = (await EntityMachine.open(chain.genesis, new MemoryStore())).entity
  const b = (await EntityMachine.open(chain.genesis, new MemoryStore())).entity
  return { a, b }
}

test('a proposal validated by a peer commits there to the same state', async () => {
  const { a, b } = await twoNodes()
  const tx = chain.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(9))
  a.addTransaction(tx)
  b.addTransaction(tx) // b saw it on gossip: its signature is checked once, here
  const built = a.propose(chain.genesis.time + 100, 0)
  const bytes = encodeBlock(built.block)
  const executed = b.validateProposed(bytes, at)
  assert.is(b.validateProposed(bytes, at), executed, 'a second validation of the same block is free')
  const commit = encodeCommit(chain.commit(1, built.hash))
  a.applyCommitted(bytes, commit)
  b.applyCommitted(bytes, commit)
  assert.is(toHex(a.tip.state.root()), toHex(b.tip.state.root()))
  assert.is(b.tip.state.counter(), 9)
  assert.is(b.mempool.size, 0, 'committed transactions leave the mempool')
})

test('an invalid proposal is refused with its code and leaves the tip', async () => {
  const { a, b } = await twoNodes()
  a.addTransaction(chain.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(1)))
  const built = a.propose(chain.genesis.time + 100, 0)
  const bad = encodeBlock({ ...built.block, header: { ...built.block.header, stateRoot: new Uint8Array(32) } })
  assert.is(code(() => b.validateProposed(bad, at)), 'BLOCK_STATE_ROOT_MISMATCH')
  assert.is(b.tip.height, 0)
})

test('a block with a commit that does not hold is refused before execution', async () => {
  const { a, b } = await twoNodes()
  const built = a.propose(chain.genesis.time + 100, 0)
  const weak = encodeCommit(chain.commit(1, built.hash, [0, 1]))
  assert.is(code(() => b.applyCommitted(encodeBlock(built.block), weak)), 'COMMIT_NO_QUORUM')
  assert.is(b.tip.height, 0)
})

test('a transaction that fails when a block is built leaves the pool, and its code is kept', async () => {
  const { a } = await twoNodes()
  const outsider = new AccountSigner(seed('outsider'))
  const vote = chain.tx(outsider, 0, TxKind.ProposalVote, encodeProposalVote(new Uint8Array(32).fill(5)))
  const { hash } = a.addTransaction(vote)
  const built = a.propose(chain.genesis.time + 100, 0)
  assert.is(built.txHashes.length, 0)
  assert.not.ok(a.mempool.has(hash), 'dropped from the pool')
  assert.is(a.rejection(hash), 'TX_PROPOSAL_UNKNOWN')
  // the account can use its nonce again
  a.addTransaction(chain.tx(outsider, 0, TxKind.CounterAdd, encodeCounterAdd(1)))
  assert.is(a.propose(chain.genesis.time + 200, 0).txHashes.length, 1)
})

test('a genuine header and commit with other transactions is refused, cached execution or not', async () => {
  const { a, b } = await twoNodes()
  const tx = chain.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(9))
  a.addTransaction(tx)
  const built = a.propose(chain.genesis.time + 100, 0)
  const commit = encodeCommit(chain.commit(1, built.hash))
  const swapped = encodeBlock({ ...built.block, txs: [chain.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(1000))] })
  assert.is(code(() => a.applyCommitted(swapped, commit)), 'BLOCK_TXS_HASH_MISMATCH', 'the proposer, which has the block executed')
  assert.is(code(() => b.applyCommitted(swapped, commit)), 'BLOCK_TXS_HASH_MISMATCH', 'a node that never saw it')
  a.applyCommitted(encodeBlock(built.block), commit)
  assert.is(a.tip.state.counter(), 9)
})

test('M-7: a proposed block more than MAX_CLOCK_DRIFT_MS ahead of the clock is refused; committed, it is not', async () => {
  const { a, b } = await twoNodes()
  const now = chain.genesis.time + 1_000
  const far = a.propose(Number.MAX_SAFE_INTEGER, first)
  assert.is(code(() => b.validateProposed(encodeBlock(far.block), { round: 0, now })), 'BLOCK_TIME_IN_FUTURE')
  const edge = a.propose(now + MAX_CLOCK_DRIFT_MS, first)
  b.validateProposed(encodeBlock(edge.block), { round: 0, now })
  const over = a.propose(now + MAX_CLOCK_DRIFT_MS + 1, first)
  assert.is(code(() => b.validateProposed(encodeBlock(over.block), { round: 0, now })), 'BLOCK_TIME_IN_FUTURE')
  // a certificate shows that honest validators checked the time: applying it never reads a clock
  b.applyCommitted(encodeBlock(over.block), encodeCommit(chain.commit(1, over.hash)))
  assert.is(b.tip.height, 1)
})

test('M-7: the header proposer must be scheduled at some round up to the one the block is proposed or committed at', async () => {
  assert.is.not(first, second)
  const { a, b } = await twoNodes()
  const early = a.propose(chain.genesis.time + 100, second)
  const bytes = encodeBlock(early.block)
  assert.is(code(() => b.validateProposed(bytes, { ...at, round: 0 })), 'BLOCK_BAD_PROPOSER', 'round 1 proposer at round 0')
  b.validateProposed(bytes, { ...at, round: 1 })
  // a valid value re-proposed later keeps the header of the round it was built in
  const own = a.propose(chain.genesis.time + 100, first)
  b.validateProposed(encodeBlock(own.block), { ...at, round: 5 })
  assert.is(code(() => b.applyCommitted(bytes, encodeCommit(chain.commit(1, early.hash, [0, 1, 2, 3], 0)))), 'BLOCK_BAD_PROPOSER')
  assert.is(b.tip.height, 0)
  b.applyCommitted(bytes, encodeCommit(chain.commit(1, early.hash, [0, 1, 2, 3], 1)))
  assert.is(b.tip.height, 1)
})

test.run()
