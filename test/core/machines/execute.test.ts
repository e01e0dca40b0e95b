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
import { DEFAULT_PARAMS, PARAM_RANGES } from '../../../packages/core/src/machines/entity-state.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { TxKind, type ValidatorCandidate } from '../../../packages/core/src/types/chain.ts'
import { computeWeights } from '../../../packages/core/src/consensus/weights.ts'
import { makeGenesis } from '../../../packages/core/src/machines/genesis.ts'
import { code } from '../../fixtures/errors.ts'
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

test('a validator set whose shares sum past 2^53 - 1 is refused at creation, so it never reaches consensus', () => {
  const chain = makeChain([10, 1, 1, 1])
  const run = new Runner(chain)
  const huge = chain.genesis.validators.slice(0, 2).map((v) => ({ ...v, shares: Number.MAX_SAFE_INTEGER }))
  // what such a set would do once active: every node's StartHeight throws
  assert.is(code(() => computeWeights(huge, chain.genesis.threshold)), 'GENESIS_INVALID')
  const built = run.block([chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'validators.set', validators: huge }))])
  assert.equal(built.rejected.map((r) => r.code), ['TX_BAD_ACTION'])
  assert.is(run.tip.state.pending(), undefined)
  run.advanceTo(run.tip.height + VALIDATOR_SET_CHANGE_DELAY)
  computeWeights(run.tip.state.validators(), run.tip.state.threshold())
  // just under the limit is fine
  const most = chain.genesis.validators.slice(0, 2).map((v, i) => ({ ...v, shares: i === 0 ? Number.MAX_SAFE_INTEGER - 1 : 1 }))
  const ok = run.block([chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'validators.set', validators: most }))])
  assert.is(ok.rejected.length, 0)
})

test('validator accounts are unique in a set, in a validators.set and in a genesis', () => {
  const chain = makeChain([10, 1, 1, 1])
  const run = new Runner(chain)
  const shared = chain.genesis.validators.map((v, i) => (i === 1 ? { ...v, account: chain.genesis.validators[0]!.account } : v))
  const built = run.block([chain.tx(chain.validators[0]!.account, 0, TxKind.ProposalCreate, encodeProposalCreate({ type: 'validators.set', validators: shared }))])
  assert.equal(built.rejected.map((r) => r.code), ['TX_BAD_ACTION'])
  assert.is(code(() => makeGenesis({ network: 'dup', time: 0, validators: shared })), 'GENESIS_INVALID')
})

/** Passes a validators.set by the votes of `voters` (indices into the chain's validators) and waits for it to govern. */
function changeSet(run: Runner, chain: ReturnType<typeof makeChain>, voters: number[], validators: ValidatorCandidate[], nonces: number[]): void {
  const create = chain.tx(chain.validators[voters[0]!]!.account, nonces[voters[0]!]!++, TxKind.ProposalCreate, encodeProposalCreate({ type: 'validators.set', validators }))
  const votes = voters.slice(1).map((i) => chain.tx(chain.validators[i]!.account, nonces[i]!++, TxKind.ProposalVote, encodeProposalVote(txHash(create))))
  assert.is(run.block([create, ...votes]).rejected.length, 0)
  assert.ok(run.tip.state.pending(), 'the set change passed')
  run.advanceTo(run.tip.height + VALIDATOR_SET_CHANGE_DELAY)
  assert.is(run.tip.state.validators().length, validators.length)
}

test('a proposal counts the votes of the current set only: a removed validator\'s vote no longer helps it pass', () => {
  const chain = makeChain([1, 1, 1, 1])
  const run = new Runner(chain)
  const nonces = [0, 0, 0, 0]
  const acct = (i: number) => chain.validators[i]!.account
  const create = chain.tx(acct(0), nonces[0]!++, TxKind.ProposalCreate, encodeProposalCreate({ type: 'entity.set', key: 'motd', value: utf8('mixed') }))
  const id = txHash(create)
  run.block([create, chain.tx(acct(1), nonces[1]!++, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.is(run.tip.state.proposal(id)!.shares, 2)
  // validator 1 leaves: the set is 0, 2, 3 with one share each, a quorum is all three
  changeSet(run, chain, [0, 2, 3], chain.genesis.validators.filter((_, i) => i !== 1), nonces)
  run.block([chain.tx(acct(2), nonces[2]!++, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.is(run.tip.state.get(entityKvKey('motd')), undefined, 'validators 0 and 2 are 2 of 3 shares: not a quorum')
  assert.is(run.tip.state.proposal(id)!.shares, 2, 'support recounted in the current set')
  run.block([chain.tx(acct(3), nonces[3]!++, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.is(fromUtf8(run.tip.state.get(entityKvKey('motd'))!), 'mixed', 'with validator 3 it is all of the set')
})

test('a proposal counts shares as they are now: shares changed since a vote are recounted', () => {
  const chain = makeChain([1, 1, 1, 1])
  const run = new Runner(chain)
  const nonces = [0, 0, 0, 0]
  const acct = (i: number) => chain.validators[i]!.account
  const create = chain.tx(acct(0), nonces[0]!++, TxKind.ProposalCreate, encodeProposalCreate({ type: 'entity.set', key: 'motd', value: utf8('recounted') }))
  const id = txHash(create)
  run.block([create])
  // validator 0 now holds 10 of 13 shares: with validator 1 that is 11, past the quorum of 9
  changeSet(run, chain, [0, 1, 2], chain.genesis.validators.map((v, i) => ({ ...v, shares: i === 0 ? 10 : 1 })), nonces)
  run.block([chain.tx(acct(1), nonces[1]!++, TxKind.ProposalVote, encodeProposalVote(id))])
  assert.is(fromUtf8(run.tip.state.get(entityKvKey('motd'))!), 'recounted')
})

/** Proposals (entity.del, each distinct) from validator `v` with nonces from `nonce`, all expiring at `at`. */
function proposalsExpiringAt(chain: ReturnType<typeof makeChain>, v: number, count: number, nonce: number, height: number, at: number): Uint8Array[] {
  const account = chain.validators[v]!.account
  return Array.from({ length: count }, (_, i) =>
    chain.tx(account, nonce + i, TxKind.ProposalCreate, encodeProposalCreate({ type: 'entity.del', key: `x${v}/${nonce + i}` }, at - height)),
  )
}

test('C-1: many proposals expiring at one height: over the cap they fail as transactions, and blocks go on', () => {
  // The review's scenario, scaled: a validator with a quarter of the shares (under a third) opens
  // as many proposals as it may, all expiring at one height, and tries more; so do the others.
  const chain = makeChain([1, 1, 1, 1])
  const run = new Runner(chain)
  const cap = DEFAULT_PARAMS.maxOpenProposals
  const at = 12
  const genesisKeys = run.tip.state.tree.size
  const built = run.block([
    ...proposalsExpiringAt(chain, 0, cap + 1, 0, 1, at),
    ...[1, 2, 3].flatMap((v) => proposalsExpiringAt(chain, v, cap, 0, 1, at)),
  ])
  assert.equal(built.rejected.map((r) => r.code), ['TX_TOO_MANY_OPEN_PROPOSALS'])
  assert.is(run.tip.state.openProposals(chain.validators[0]!.account.address), cap)
  assert.is(run.tip.state.expiringCount(at), 4 * cap)
  // the next proposal of validator 0, in a later block, fails the same way; its nonce is unspent
  const more = run.block(proposalsExpiringAt(chain, 0, 1, cap, 2, at))
  assert.equal(more.rejected.map((r) => r.code), ['TX_TOO_MANY_OPEN_PROPOSALS'])
  // blocks are built (Runner) and validated by a second execution through the expiry height
  run.advanceTo(at + 2)
  assert.is(run.tip.state.expiringCount(at), 0)
  for (let v = 0; v < 4; v++) assert.is(run.tip.state.openProposals(chain.validators[v]!.account.address), 0, `validator ${v}`)
  // everything they wrote is gone but the creators' nonces
  assert.is(run.tip.state.tree.size, genesisKeys + 4)
  // and the creator may open proposals again
  assert.is(run.block(proposalsExpiringAt(chain, 0, 1, cap, run.tip.height + 1, run.tip.height + 5)).rejected.length, 0)
})

test('C-1: no state value grows with the number of proposals expiring at one height', () => {
  const largest = (count: number): number => {
    const chain = makeChain([1, 1, 1, 1])
    const params = { ...DEFAULT_PARAMS, maxOpenProposals: 100 }
    const run = new Runner({ ...chain, genesis: { ...chain.genesis, params } })
    const built = run.block([0, 1, 2, 3].flatMap((v) => proposalsExpiringAt(chain, v, count / 4, 0, 1, 50)))
    assert.is(built.rejected.length, 0)
    let max = 0
    for (const [key, value] of built.writes) if (value && !fromUtf8(key).startsWith('proposal/')) max = Math.max(max, value.length)
    return max
  }
  const few = largest(8)
  const many = largest(400)
  assert.is(many, few, `largest value written: ${few} bytes for 8 proposals, ${many} for 400`)
  assert.ok(many <= 40, `largest value ${many} bytes`)
})

test('maxOpenProposals is an entity parameter: set by proposal within its range, and it binds at once', () => {
  const chain = makeChain([10, 1, 1, 1])
  const run = new Runner(chain)
  const v0 = chain.validators[0]!.account
  const set = (nonce: number, value: number) => chain.tx(v0, nonce, TxKind.ProposalCreate, encodeProposalCreate({ type: 'params.set', name: 'maxOpenProposals', value }))
  assert.equal(run.block([set(0, 0)]).rejected.map((r) => r.code), ['TX_BAD_ACTION'])
  assert.equal(run.block([set(0, PARAM_RANGES.maxOpenProposals[1] + 1)]).rejected.map((r) => r.code), ['TX_BAD_ACTION'])
  // validator 0 holds a quorum: its proposal passes in its own block and closes
  assert.is(run.block([set(0, 2)]).rejected.length, 0)
  assert.is(run.tip.state.params().maxOpenProposals, 2)
  assert.is(run.tip.state.openProposals(v0.address), 0)
  const v1 = chain.validators[1]!.account
  const open = (nonce: number) => chain.tx(v1, nonce, TxKind.ProposalCreate, encodeProposalCreate({ type: 'entity.del', key: `k${nonce}` }))
  assert.equal(run.block([open(0), open(1), open(2)]).rejected.map((r) => r.code), ['TX_TOO_MANY_OPEN_PROPOSALS'])
})

test.run()
