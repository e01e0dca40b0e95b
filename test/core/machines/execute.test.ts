import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fromUtf8, toHex, utf8 } from '../../../packages/core/src/bytes.ts'
import { txHash } from '../../../packages/core/src/codec/objects.ts'
import { VALIDATOR_SET_CHANGE_DELAY } from '../../../packages/core/src/consensus/params.ts'
import {
  encodeCounterAdd,
  encodeKvDel,
  encodeKvSet,
  encodeProposalCreate,
  encodeProposalVote,
} from '../../../packages/core/src/machines/payloads.ts'
import { entityKvKey, kvKey } from '../../../packages/core/src/machines/state-keys.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { TxKind } from '../../../packages/core/src/types/chain.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'
import { Runner } from '../../fixtures/run.ts'

test('counter.add adds to the entity counter', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const a = chain.validators[0]!.account
  const built = run.block([chain.tx(a, 0, TxKind.CounterAdd, encodeCounterAdd(5)), chain.tx(a, 1, TxKind.CounterAdd, encodeCounterAdd(37))])
  assert.is(built.rejected.length, 0)
  assert.is(run.tip.state.counter(), 42)
  assert.is(run.tip.state.nonce(a.address), 2)
})

test('kv.set and kv.del act in the sender namespace only', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const a = new AccountSigner(seed('alice'))
  const b = new AccountSigner(seed('bob'))
  run.block([
    chain.tx(a, 0, TxKind.KvSet, encodeKvSet('color', utf8('red'))),
    chain.tx(b, 0, TxKind.KvSet, encodeKvSet('color', utf8('blue'))),
  ])
  assert.is(fromUtf8(run.tip.state.get(kvKey(a.address, 'color'))!), 'red')
  assert.is(fromUtf8(run.tip.state.get(kvKey(b.address, 'color'))!), 'blue')
  run.block([chain.tx(a, 1, TxKind.KvDel, encodeKvDel('color'))])
  assert.is(run.tip.state.get(kvKey(a.address, 'color')), undefined)
  assert.is(fromUtf8(run.tip.state.get(kvKey(b.address, 'color'))!), 'blue')
})

test('a replayed nonce and a nonce gap are rejected', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const a = new AccountSigner(seed('alice'))
  const first = chain.tx(a, 0, TxKind.CounterAdd, encodeCounterAdd(1))
  run.block([first])
  const again = run.block([first])
  assert.equal(again.rejected.map((r) => r.code), ['TX_NONCE_TOO_LOW'])
  const gap = run.block([chain.tx(a, 5, TxKind.CounterAdd, encodeCounterAdd(1))])
  assert.equal(gap.rejected.map((r) => r.code), ['TX_NONCE_GAP'])
  assert.is(run.tip.state.counter(), 1)
})

test('a malformed payload is rejected and changes nothing', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const a = new AccountSigner(seed('alice'))
  const before = toHex(run.tip.state.root())
  const built = run.block([chain.tx(a, 0, TxKind.KvSet, encodeCounterAdd(1))])
  assert.equal(built.rejected.map((r) => r.code), ['TX_BAD_PAYLOAD'])
  assert.is(run.tip.state.nonce(a.address), 0)
  assert.is(toHex(run.tip.state.root()), before)
})

test('only validators create or vote on proposals', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const outsider = new AccountSigner(seed('outsider'))
  const create = chain.tx(outsider, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'entity.set', key: 'k', value: utf8('v') }))
  assert.equal(run.block([create]).rejected.map((r) => r.code), ['TX_NOT_VALIDATOR'])
})

test('a proposal executes at the end of the block in which its shares pass the threshold', () => {
  const chain = makeChain([1, 1, 1, 1])
  const run = new Runner(chain)
  const [v0, v1, v2] = chain.validators.map((v) => v.account)
  const create = chain.tx(v0!, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'entity.set', key: 'motd', value: utf8('hello') }))
  const id = txHash(create)
  run.block([create])
  assert.is(run.tip.state.proposal(id)!.shares, 1)
  run.block([chain.tx(v1!, 0, TxKind.ProposalVote, encodeProposalVote(id))])
  // 2 of 4 shares is not more than 2/3
  assert.is(run.tip.state.get(entityKvKey('motd')), undefined)
  assert.is(run.tip.state.proposal(id)!.shares, 2)
  const dup = run.block([chain.tx(v1!, 1, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.equal(dup.rejected.map((r) => r.code), ['TX_ALREADY_VOTED'])
  run.block([chain.tx(v2!, 0, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.is(fromUtf8(run.tip.state.get(entityKvKey('motd'))!), 'hello')
  assert.is(run.tip.state.proposal(id), undefined, 'an executed proposal is closed')
  const late = run.block([chain.tx(chain.validators[3]!.account, 0, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.equal(late.rejected.map((r) => r.code), ['TX_PROPOSAL_UNKNOWN'])
})

test('shares are weighted: one validator with most shares passes a proposal alone', () => {
  const chain = makeChain([10, 1, 1, 1])
  const run = new Runner(chain)
  const create = chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'params.set', name: 'maxBlockTxs', value: 100 }))
  run.block([create])
  assert.is(run.tip.state.params().maxBlockTxs, 100)
})

test('an undecided proposal expires after its period', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const create = chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'entity.del', key: 'x' }, 3))
  const id = txHash(create)
  run.block([create]) // height 1, expires at the end of height 4
  run.advanceTo(3)
  assert.ok(run.tip.state.proposal(id), 'still open at height 3')
  run.advanceTo(4)
  assert.is(run.tip.state.proposal(id), undefined, 'expired at height 4')
  const vote = run.block([chain.tx(chain.validators[1]!.account, 0, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.equal(vote.rejected.map((r) => r.code), ['TX_PROPOSAL_UNKNOWN'])
})

test(`a validator-set change takes effect ${VALIDATOR_SET_CHANGE_DELAY} heights after the block that executed it`, () => {
  const chain = makeChain([10, 1, 1, 1])
  const run = new Runner(chain)
  const before = chain.genesis.validators
  const after = before.map((v, i) => ({ ...v, shares: i === 0 ? 1 : 5 }))
  const hashBefore = toHex(run.tip.state.validatorsHash())
  run.block([chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'validators.set', validators: after }))])
  const executedAt = run.tip.height
  // the state after block h governs h + 1: unchanged until h + DELAY - 1
  assert.is(toHex(run.tip.state.validatorsHash()), hashBefore)
  assert.is(run.tip.state.pending()!.activateAt, executedAt + VALIDATOR_SET_CHANGE_DELAY)
  run.advanceTo(executedAt + VALIDATOR_SET_CHANGE_DELAY - 1)
  assert.equal(run.tip.state.validators().map((v) => v.shares), [1, 5, 5, 5])
  assert.is(run.tip.state.pending(), undefined)
})

test('invalid proposal actions are refused at creation', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const v0 = chain.validators[0]!.account
  const low = run.block([chain.tx(v0, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'threshold.set', threshold: { numerator: 1, denominator: 2 } }))])
  assert.equal(low.rejected.map((r) => r.code), ['TX_BAD_ACTION'])
  const zero = run.block([chain.tx(v0, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'params.set', name: 'maxBlockTxs', value: 0 }))])
  assert.equal(zero.rejected.map((r) => r.code), ['TX_BAD_ACTION'])
})

test('a validator without a valid proof of possession cannot enter the set', () => {
  const chain = makeChain([10, 1, 1, 1])
  const run = new Runner(chain)
  const stranger = makeChain([1], chain.network, 'stranger').genesis.validators[0]!
  // the stranger's key with another key's proof: a rogue key would look like this
  const rogue = { ...stranger, proofOfPossession: chain.genesis.validators[1]!.proofOfPossession }
  const built = run.block([chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'validators.set', validators: [...chain.genesis.validators, rogue] }))])
  assert.equal(built.rejected.map((r) => r.code), ['TX_BAD_ACTION'])
  const honest = run.block([chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'validators.set', validators: [...chain.genesis.validators, stranger] }))])
  assert.is(honest.rejected.length, 0)
})

test.run()
