import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import { toHex } from '../../../packages/core/src/bytes.ts'
import { txHash } from '../../../packages/core/src/codec/objects.ts'
import { type ProposalAction, encodeCounterAdd, encodeProposalCreate } from '../../../packages/core/src/machines/payloads.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { Mempool } from '../../../packages/core/src/mempool/mempool.ts'
import { TxKind } from '../../../packages/core/src/types/chain.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'
import { Runner } from '../../fixtures/run.ts'

const chain = makeChain()
const id = { network: chain.network, entity: chain.entity }
const alice = new AccountSigner(seed('alice'))
const bob = new AccountSigner(seed('bob'))
const carol = new AccountSigner(seed('carol'))
const add = (who: AccountSigner, nonce: number, n = 1) => chain.tx(who, nonce, TxKind.CounterAdd, encodeCounterAdd(n))
const forge = (tx: Uint8Array) => {
  const bad = tx.slice()
  bad[bad.length - 1]! ^= 1
  return bad
}

test('admits valid transactions and refuses duplicates, bad signatures and used nonces', () => {
  const run = new Runner(chain)
  const pool = new Mempool(id)
  const tx = add(alice, 0)
  pool.add(tx, run.tip.state, 0)
  assert.is(pool.size, 1)
  assert.is(pool.bytes, tx.length)
  assert.is(code(() => pool.add(tx, run.tip.state, 0)), 'MEMPOOL_DUPLICATE')
  assert.is(code(() => pool.add(add(alice, 0, 2), run.tip.state, 0)), 'MEMPOOL_DUPLICATE', 'same nonce, other tx')
  const forged = add(alice, 1)
  forged[forged.length - 1]! ^= 1
  assert.is(code(() => pool.add(forged, run.tip.state, 0)), 'TX_BAD_SIGNATURE')
  assert.is(code(() => pool.add(new Uint8Array(20_000), run.tip.state, 0)), 'MEMPOOL_TX_TOO_LARGE')
  assert.is(code(() => pool.add(new Uint8Array([0xc0]), run.tip.state, 0)), 'CODEC_BAD_FIELD')
  const other = makeChain([1, 1, 1, 1], 'othernet')
  assert.is(code(() => pool.add(other.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(1)), run.tip.state, 0)), 'TX_WRONG_NETWORK')
})

test('cheap checks run before the signature: a flood that could never be admitted costs no signature check', () => {
  // Each of these carries a bad signature; what it is refused for shows which check met it
  // first. Before the reorder (review H-4) every one of them paid a signature check and came
  // back TX_BAD_SIGNATURE.
  const run = new Runner(chain)
  const pool = new Mempool(id, { maxTxs: 3, maxPerSender: 2 })
  pool.add(add(alice, 0), run.tip.state, 0)
  pool.add(add(alice, 1), run.tip.state, 0)
  assert.is(code(() => pool.add(forge(add(bob, 2)), run.tip.state, 0)), 'TX_NONCE_GAP', 'nonce beyond the window')
  assert.is(code(() => pool.add(forge(add(alice, 1, 7)), run.tip.state, 0)), 'MEMPOOL_DUPLICATE', 'nonce already pending')
  pool.add(add(bob, 0), run.tip.state, 0)
  // full, and carol may only push out alice's last one if alice holds more than carol would
  const small = new Mempool(id, { maxTxs: 1 })
  small.add(add(alice, 0), run.tip.state, 0)
  assert.is(code(() => small.add(forge(add(bob, 0)), run.tip.state, 0)), 'MEMPOOL_FULL', 'no room and none to evict')
  // and a bad signature evicts nothing: the pool is as it was
  assert.is(code(() => pool.add(forge(add(carol, 0)), run.tip.state, 0)), 'TX_BAD_SIGNATURE')
  assert.is(pool.size, 3)
})

test('reaps contiguous nonces per sender, in arrival order, within limits', () => {
  const run = new Runner(chain)
  const pool = new Mempool(id)
  // alice's nonce 1 arrives before 0; bob has a gap at 1
  for (const tx of [add(alice, 1), add(bob, 0), add(alice, 0), add(bob, 2)]) pool.add(tx, run.tip.state, 0)
  const reaped = pool.reap(run.tip.state, { maxTxs: 100, maxBytes: 1 << 20 })
  assert.equal(
    reaped.map((c) => `${toHex(c.tx.sender) === toHex(alice.publicKey) ? 'alice' : 'bob'}:${c.tx.nonce}`),
    ['alice:0', 'alice:1', 'bob:0'],
  )
  assert.is(pool.reap(run.tip.state, { maxTxs: 2, maxBytes: 1 << 20 }).length, 2)
  const one = reaped[0]!.encoded.length
  assert.is(pool.reap(run.tip.state, { maxTxs: 100, maxBytes: one * 2 }).length, 2)
})

test('work for a block is a transaction at its sender\'s next nonce; a pool of nonce gaps is none', () => {
  const run = new Runner(chain)
  const pool = new Mempool(id)
  assert.not.ok(pool.hasReady(run.tip.state), 'empty')
  pool.add(add(alice, 2), run.tip.state, 0)
  pool.add(add(bob, 1), run.tip.state, 0)
  assert.not.ok(pool.hasReady(run.tip.state), 'only gaps: an idle network keeps its heartbeat')
  pool.add(add(bob, 0), run.tip.state, 0)
  assert.ok(pool.hasReady(run.tip.state))
})

test('caps count and bytes with MEMPOOL_FULL, and evicts from the largest sender for a smaller one', () => {
  const run = new Runner(chain)
  const pool = new Mempool(id, { maxTxs: 5 })
  for (let n = 0; n < 5; n++) pool.add(add(alice, n), run.tip.state, 0)
  // alice cannot push out her own transactions
  assert.is(code(() => pool.add(add(alice, 5), run.tip.state, 0)), 'MEMPOOL_FULL')
  // bob, holding none, takes the place of alice's last one
  pool.add(add(bob, 0), run.tip.state, 0)
  assert.is(pool.size, 5)
  assert.not.ok(pool.has(txHash(add(alice, 4))), "alice's highest nonce was evicted")
  assert.ok(pool.has(txHash(add(alice, 0))))
  const byBytes = new Mempool(id, { maxBytes: add(alice, 0).length * 2 })
  byBytes.add(add(carol, 0), run.tip.state, 0)
  byBytes.add(add(carol, 1), run.tip.state, 0)
  assert.is(code(() => byBytes.add(add(carol, 2), run.tip.state, 0)), 'MEMPOOL_FULL')
})

test('per-sender cap and nonce window', () => {
  const run = new Runner(chain)
  const pool = new Mempool(id, { maxPerSender: 3 })
  for (let n = 0; n < 3; n++) pool.add(add(alice, n), run.tip.state, 0)
  assert.is(code(() => pool.add(add(alice, 3), run.tip.state, 0)), 'TX_NONCE_GAP')
  assert.is(code(() => pool.add(add(bob, 3), run.tip.state, 0)), 'TX_NONCE_GAP')
  pool.add(add(bob, 2), run.tip.state, 0)
  pool.add(add(bob, 1), run.tip.state, 0)
  assert.is(code(() => pool.add(add(bob, 0), run.tip.state, 0)), undefined)
  assert.is(code(() => pool.add(add(carol, 0), run.tip.state, 0)), undefined)
})

test('after a commit: committed ones removed and not re-admitted, stale nonces and expired ones dropped', () => {
  const run = new Runner(chain)
  const pool = new Mempool(id, { ttlBlocks: 3 })
  const a0 = add(alice, 0)
  const a0other = add(alice, 0, 9) // will be stale once a0 commits... admitted? same nonce: refused
  pool.add(a0, run.tip.state, 0)
  assert.is(code(() => pool.add(a0other, run.tip.state, 0)), 'MEMPOOL_DUPLICATE')
  pool.add(add(bob, 5), run.tip.state, 0) // waits for nonces 0..4 that never come
  const built = run.block(pool.reap(run.tip.state, { maxTxs: 100, maxBytes: 1 << 20 }).map((c) => c.encoded))
  assert.is(built.txHashes.length, 1)
  pool.update(built.txHashes, run.tip.state, run.tip.height)
  assert.not.ok(pool.has(txHash(a0)))
  assert.ok(pool.wasCommitted(txHash(a0)))
  assert.is(code(() => pool.add(a0, run.tip.state, run.tip.height)), 'MEMPOOL_ALREADY_COMMITTED')
  assert.is(code(() => pool.add(a0other, run.tip.state, run.tip.height)), 'TX_NONCE_TOO_LOW')
  assert.is(pool.size, 1)
  const dropped = pool.update([], run.tip.state, 3)
  assert.equal(dropped.map(toHex), [toHex(txHash(add(bob, 5)))], 'TTL eviction')
  assert.is(pool.size, 0)
  assert.is(pool.bytes, 0)
})

test('re-check drops transactions whose nonce another node committed', () => {
  const run = new Runner(chain)
  const pool = new Mempool(id)
  const mine = add(alice, 0, 1)
  pool.add(mine, run.tip.state, 0)
  const theirs = add(alice, 0, 2)
  const built = run.block([theirs])
  const dropped = pool.update(built.txHashes, run.tip.state, run.tip.height)
  assert.equal(dropped.map(toHex), [toHex(txHash(mine))])
  assert.is(pool.size, 0)
})

// An entity whose validator 0 passes proposals alone, closed to strangers at height 1 (review H-6).
const governed = makeChain([10, 1, 1, 1], 'testnet', 'g')
const governedId = { network: governed.network, entity: governed.entity }
const g0 = governed.validators[0]!.account
const propose = (nonce: number, action: ProposalAction) => governed.tx(g0, nonce, TxKind.ProposalCreate, encodeProposalCreate(action))
const send = (who: AccountSigner, nonce: number) => governed.tx(who, nonce, TxKind.CounterAdd, encodeCounterAdd(1))
function closedEntity(): Runner {
  const run = new Runner(governed)
  run.block([propose(0, { type: 'params.set', name: 'openAccounts', value: 0 })])
  assert.is(run.tip.state.params().openAccounts, 0)
  return run
}

test('a closed entity: a stranger is refused before the signature check; validators and admitted accounts are not', () => {
  const run = closedEntity()
  const pool = new Mempool(governedId)
  // a bad signature refused as TX_ACCOUNT_NOT_ADMITTED: no signature check was spent on it
  assert.is(code(() => pool.add(forge(send(alice, 0)), run.tip.state, 1)), 'TX_ACCOUNT_NOT_ADMITTED')
  assert.is(code(() => pool.add(send(alice, 0), run.tip.state, 1)), 'TX_ACCOUNT_NOT_ADMITTED')
  // a validator passes the admission check, so it meets the signature check
  const v1 = governed.validators[1]!.account
  assert.is(code(() => pool.add(forge(send(v1, 0)), run.tip.state, 1)), 'TX_BAD_SIGNATURE')
  pool.add(send(v1, 0), run.tip.state, 1)
  run.block([propose(1, { type: 'accounts.allow', accounts: [alice.address] })])
  assert.is(code(() => pool.add(forge(send(alice, 0)), run.tip.state, 2)), 'TX_BAD_SIGNATURE')
  pool.add(send(alice, 0), run.tip.state, 2)
  assert.is(code(() => pool.add(forge(send(bob, 0)), run.tip.state, 2)), 'TX_ACCOUNT_NOT_ADMITTED')
  assert.is(pool.size, 2)
})

test('after a block that shuts an account out, the pool drops what it had waiting', () => {
  const run = closedEntity()
  run.block([propose(1, { type: 'accounts.allow', accounts: [alice.address, bob.address] })])
  const pool = new Mempool(governedId)
  const waiting = [send(alice, 0), send(alice, 1)]
  for (const tx of [...waiting, send(bob, 0)]) pool.add(tx, run.tip.state, run.tip.height)
  const built = run.block([propose(2, { type: 'accounts.deny', accounts: [alice.address] })])
  const dropped = pool.update(built.txHashes, run.tip.state, run.tip.height)
  assert.equal(dropped.map(toHex).sort(), waiting.map((tx) => toHex(txHash(tx))).sort())
  assert.equal(pool.reap(run.tip.state, { maxTxs: 100, maxBytes: 1 << 20 }).map((c) => toHex(c.hash)), [toHex(txHash(send(bob, 0)))])
})

test.run()
