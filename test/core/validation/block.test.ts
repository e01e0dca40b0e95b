import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import type { Bytes } from '../../../packages/core/src/bytes.ts'
import { isCoreError } from '../../../packages/core/src/errors.ts'
import { decodeTx, encodeTx, txHash, txsHash } from '../../../packages/core/src/codec/objects.ts'
import { encodeCounterAdd, encodeProposalCreate } from '../../../packages/core/src/machines/payloads.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { type Block, TxKind } from '../../../packages/core/src/types/chain.ts'
import { checkSanity, checkTime, validateBlock } from '../../../packages/core/src/validation/block.ts'
import { proposerIndex } from '../../../packages/core/src/consensus/proposer.ts'
import { buildBlock } from '../../../packages/core/src/validation/build.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'
import { Runner } from '../../fixtures/run.ts'

const chain = makeChain()
const id = { network: chain.network, entity: chain.entity }
const alice = new AccountSigner(seed('alice'))

function setup(): { run: Runner; block: Block } {
  const run = new Runner(chain)
  run.block()
  const txs = [chain.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(2))]
  const built = buildBlock({
    tip: run.tip,
    chain: id,
    time: run.tip.time + 100,
    proposer: 1,
    candidates: txs.map((encoded) => ({ encoded, tx: decodeTx(encoded), hash: txHash(encoded) })),
  })
  return { run, block: built.block }
}

function withHeader(block: Block, change: Partial<Block['header']>): Block {
  return { ...block, header: { ...block.header, ...change } }
}

test('a built block validates', () => {
  const { run, block } = setup()
  const executed = validateBlock(block, run.tip, id)
  assert.is(executed.state.counter(), 2)
})

test('sanity failures, each with its code', () => {
  const { run, block } = setup()
  const cases: Array<[string, Block, string]> = [
    ['network', withHeader(block, { network: 'other' }), 'BLOCK_WRONG_NETWORK'],
    ['entity', withHeader(block, { entity: new Uint8Array(32) }), 'BLOCK_WRONG_ENTITY'],
    ['height', withHeader(block, { height: 5 }), 'BLOCK_WRONG_HEIGHT'],
    ['parent', withHeader(block, { parentHash: new Uint8Array(32) }), 'BLOCK_PARENT_UNKNOWN'],
    ['time', withHeader(block, { time: run.tip.time - 1 }), 'BLOCK_TIME_BEFORE_PARENT'],
    ['txsHash', { ...block, txs: [] }, 'BLOCK_TXS_HASH_MISMATCH'],
    ['validatorsHash', withHeader(block, { validatorsHash: new Uint8Array(32) }), 'BLOCK_VALIDATORS_HASH_MISMATCH'],
    ['proposer', withHeader(block, { proposer: 4 }), 'BLOCK_BAD_PROPOSER'],
    ['stateRoot', withHeader(block, { stateRoot: new Uint8Array(32) }), 'BLOCK_STATE_ROOT_MISMATCH'],
  ]
  for (const [name, bad, expected] of cases) {
    assert.is(code(() => validateBlock(bad, run.tip, id)), expected, name)
  }
})

function withTxs(block: Block, txs: Bytes[]): Block {
  return { txs, header: { ...block.header, txsHash: txsHash(txs) } }
}

test('a transaction with a bad signature fails the block in the signature stage', () => {
  const { run, block } = setup()
  const tx = decodeTx(block.txs[0]!)
  const forged = encodeTx({ ...tx, payload: encodeCounterAdd(1000) })
  const err = (() => {
    try {
      validateBlock(withTxs(block, [forged]), run.tip, id)
    } catch (e) {
      return e
    }
  })()
  assert.ok(isCoreError(err, 'BLOCK_BAD_TX'))
  assert.is((err as { data: Record<string, unknown> }).data['cause'], 'TX_BAD_SIGNATURE')
})

test('a transaction for another network fails the block', () => {
  const { run, block } = setup()
  const other = makeChain([1, 1, 1, 1], 'othernet')
  const foreign = other.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(1))
  assert.is(code(() => validateBlock(withTxs(block, [foreign]), run.tip, id)), 'BLOCK_BAD_TX')
})

test('a replayed transaction fails execution', () => {
  const { run, block } = setup()
  const tx = block.txs[0]!
  assert.is(code(() => validateBlock(withTxs(block, [tx, tx]), run.tip, id)), 'BLOCK_BAD_TX')
})

test('H-6: a block carrying a stranger\'s transaction on a closed entity fails validation', () => {
  // validator 0 passes proposals alone; it closes the entity at height 1
  const governed = makeChain([10, 1, 1, 1], 'testnet', 'g')
  const gid = { network: governed.network, entity: governed.entity }
  const run = new Runner(governed)
  const close = encodeProposalCreate({ type: 'params.set', name: 'openAccounts', value: 0 })
  run.block([governed.tx(governed.validators[0]!.account, 0, TxKind.ProposalCreate, close)])
  const stranger = governed.tx(alice, 0, TxKind.CounterAdd, encodeCounterAdd(1))
  const validator = governed.tx(governed.validators[1]!.account, 0, TxKind.CounterAdd, encodeCounterAdd(1))
  const candidates = [stranger, validator].map((encoded) => ({ encoded, tx: decodeTx(encoded), hash: txHash(encoded) }))
  const honest = buildBlock({ tip: run.tip, chain: gid, time: run.tip.time + 100, proposer: 0, candidates })
  assert.equal(honest.rejected.map((r) => r.code), ['TX_ACCOUNT_NOT_ADMITTED'], 'an honest proposer leaves it out')
  validateBlock(honest.block, run.tip, gid)
  // a byzantine proposer puts it back in: execution refuses the block at that transaction
  const err = (() => {
    try {
      validateBlock(withTxs(honest.block, [validator, stranger]), run.tip, gid)
    } catch (e) {
      return e
    }
  })()
  assert.ok(isCoreError(err, 'BLOCK_BAD_TX'), String(err))
  const { index, cause } = (err as { data: Record<string, unknown> }).data
  assert.equal([index, cause], [1, 'TX_ACCOUNT_NOT_ADMITTED'])
})

test('too many transactions for the entity parameters', () => {
  const { run, block } = setup()
  const many = Array.from({ length: run.tip.state.params().maxBlockTxs + 1 }, () => block.txs[0]!)
  assert.is(code(() => validateBlock(withTxs(block, many), run.tip, id)), 'BLOCK_TOO_MANY_TXS')
})

test('M-7: given the round, the header proposer must be scheduled at some round up to it', () => {
  const { run, block } = setup()
  const validators = run.tip.state.validators()
  const height = block.header.height
  const byRound = [0, 1, 2, 3].map((r) => proposerIndex(validators, height, r))
  const late = withHeader(block, { proposer: byRound[2]!, stateRoot: block.header.stateRoot })
  assert.is(code(() => validateBlock(late, run.tip, id, { round: 1 })), 'BLOCK_BAD_PROPOSER')
  assert.is(code(() => validateBlock(late, run.tip, id, { round: 2 })), undefined)
  assert.is(code(() => validateBlock(late, run.tip, id, { round: 9 })), undefined)
  const ontime = withHeader(block, { proposer: byRound[0]! })
  assert.is(code(() => validateBlock(ontime, run.tip, id, { round: 0 })), undefined)
})

test('M-7: block validation itself has no upper time bound (that is a proposal check, against a clock)', () => {
  const { run, block } = setup()
  const far = withHeader(block, { time: Number.MAX_SAFE_INTEGER })
  assert.is(code(() => checkSanity(far, run.tip, id)), undefined)
  assert.is(code(() => checkTime(far.header, run.tip.time)), 'BLOCK_TIME_IN_FUTURE')
})

test.run()
