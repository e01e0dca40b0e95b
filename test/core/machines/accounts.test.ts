// An entity closed to strangers (openAccounts 0, review H-6): who may send, and how proposals
// change it. Blocks run through Runner, so every block here is built and then validated.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Bytes, toHex } from '../../../packages/core/src/bytes.ts'
import { encodeRlp, encodeString } from '../../../packages/core/src/codec/rlp.ts'
import { MAX_TX_PAYLOAD } from '../../../packages/core/src/limits.ts'
import {
  MAX_ACCOUNTS_PER_ACTION,
  type ProposalAction,
  decodeAction,
  encodeAction,
  encodeCounterAdd,
  encodeProposalCreate,
} from '../../../packages/core/src/machines/payloads.ts'
import { admittedAccountKey } from '../../../packages/core/src/machines/state-keys.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { TxKind } from '../../../packages/core/src/types/chain.ts'
import { code } from '../../fixtures/errors.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'
import { Runner } from '../../fixtures/run.ts'

// validator 0 holds a quorum alone: each of its proposals passes in the block that creates it
const chain = makeChain([10, 1, 1, 1])
const v0 = chain.validators[0]!.account
const v1 = chain.validators[1]!.account
const alice = new AccountSigner(seed('alice'))
const bob = new AccountSigner(seed('bob'))
const add = (who: AccountSigner, nonce: number) => chain.tx(who, nonce, TxKind.CounterAdd, encodeCounterAdd(1))
const propose = (nonce: number, action: ProposalAction, from = v0) => chain.tx(from, nonce, TxKind.ProposalCreate, encodeProposalCreate(action))
const codes = (built: { rejected: Array<{ code: string }> }) => built.rejected.map((r) => r.code)

/** A runner whose entity validator 0 closed at height 1 (v0's next nonce is 1). */
function closed(): Runner {
  const run = new Runner(chain)
  assert.equal(codes(run.block([propose(0, { type: 'params.set', name: 'openAccounts', value: 0 })])), [])
  assert.is(run.tip.state.params().openAccounts, 0)
  return run
}

test('an open entity, the default, takes transactions from any account', () => {
  const run = new Runner(chain)
  assert.is(run.tip.state.params().openAccounts, 1)
  assert.equal(codes(run.block([add(alice, 0)])), [])
  assert.is(run.tip.state.nonce(alice.address), 1)
})

test('a closed entity refuses a stranger at execution; the validators always send', () => {
  const run = closed()
  const before = toHex(run.tip.state.root())
  assert.equal(codes(run.block([add(alice, 0)])), ['TX_ACCOUNT_NOT_ADMITTED'])
  assert.is(run.tip.state.nonce(alice.address), 0)
  assert.is(run.tip.state.counter(), 0)
  assert.is(toHex(run.tip.state.root()), before, 'a refused transaction leaves no trace in the state')
  assert.equal(codes(run.block([add(v1, 0), add(v0, 1)])), [])
  assert.is(run.tip.state.counter(), 2)
  // and opening it again lets strangers back in
  run.block([propose(2, { type: 'params.set', name: 'openAccounts', value: 1 })])
  assert.equal(codes(run.block([add(alice, 0)])), [])
})

test('accounts.allow admits, accounts.deny withdraws, only once their proposal passes', () => {
  const run = closed()
  // a proposal that has not passed admits no one: v1 holds 1 share of 13
  run.block([propose(0, { type: 'accounts.allow', accounts: [alice.address] }, v1)])
  assert.not.ok(run.tip.state.isAdmitted(alice.address))
  assert.equal(codes(run.block([add(alice, 0)])), ['TX_ACCOUNT_NOT_ADMITTED'])

  run.block([propose(1, { type: 'accounts.allow', accounts: [alice.address, bob.address] })])
  assert.ok(run.tip.state.isAdmitted(alice.address) && run.tip.state.isAdmitted(bob.address))
  assert.ok(run.tip.state.get(admittedAccountKey(alice.address)), 'one state key per admitted account')
  assert.equal(codes(run.block([add(alice, 0), add(bob, 0)])), [])

  run.block([propose(2, { type: 'accounts.deny', accounts: [alice.address] })])
  assert.not.ok(run.tip.state.isAdmitted(alice.address))
  assert.is(run.tip.state.get(admittedAccountKey(alice.address)), undefined, 'a denied account leaves no key behind')
  assert.equal(codes(run.block([add(alice, 1), add(bob, 1)])), ['TX_ACCOUNT_NOT_ADMITTED'])
  assert.is(run.tip.state.nonce(bob.address), 2)
})

test('a validator denied by name still sends: governance needs its account', () => {
  const run = closed()
  run.block([propose(1, { type: 'accounts.deny', accounts: [v1.address] })])
  assert.equal(codes(run.block([add(v1, 0)])), [])
  assert.ok(run.tip.state.maySend(v1.address))
  assert.not.ok(run.tip.state.maySend(alice.address))
})

test('openAccounts is set by params.set within 0..1', () => {
  const run = new Runner(chain)
  assert.equal(codes(run.block([propose(0, { type: 'params.set', name: 'openAccounts', value: 2 })])), ['TX_BAD_ACTION'])
  assert.is(run.tip.state.params().openAccounts, 1)
})

test(`accounts actions list 1..${MAX_ACCOUNTS_PER_ACTION} distinct 20-byte accounts, with exactly their fields`, () => {
  // account i: its number in the first two bytes
  const accounts = (n: number) => Array.from({ length: n }, (_, i) => Uint8Array.from({ length: 20 }, (_, j) => (j < 2 ? (i >> (8 * j)) & 0xff : 7)))
  for (const type of ['accounts.allow', 'accounts.deny'] as const) {
    assert.is(code(() => decodeAction(encodeAction({ type, accounts: [] }))), 'TX_BAD_ACTION', `${type} of none`)
    assert.is(code(() => decodeAction(encodeAction({ type, accounts: accounts(MAX_ACCOUNTS_PER_ACTION + 1) }))), 'TX_BAD_ACTION', `${type} of too many`)
    assert.is(code(() => decodeAction(encodeAction({ type, accounts: [new Uint8Array(19)] }))), 'TX_BAD_PAYLOAD', `${type} of a short account`)
    const extra = encodeRlp([encodeString(type), [alice.address], encodeString('x')])
    assert.is(code(() => decodeAction(extra)), 'TX_BAD_PAYLOAD', `${type} with an extra item`)
    const round = decodeAction(encodeAction({ type, accounts: [alice.address] }))
    assert.equal(round, { type, accounts: [alice.address] })
  }
  // the most an action may list fits a transaction, and passes in one block
  const most: Bytes[] = accounts(MAX_ACCOUNTS_PER_ACTION)
  assert.is(new Set(most.map(toHex)).size, MAX_ACCOUNTS_PER_ACTION)
  assert.ok(encodeProposalCreate({ type: 'accounts.allow', accounts: most }).length <= MAX_TX_PAYLOAD)
  const run = closed()
  assert.equal(codes(run.block([propose(1, { type: 'accounts.allow', accounts: most })])), [])
  assert.ok(most.every((a) => run.tip.state.isAdmitted(a)))
  // one account twice is refused when the proposal is created
  const twice = run.block([propose(2, { type: 'accounts.deny', accounts: [alice.address, alice.address] })])
  assert.equal(codes(twice), ['TX_BAD_ACTION'])
})

test.run()
