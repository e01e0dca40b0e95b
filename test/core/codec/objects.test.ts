import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import { concat, fromHex, toHex } from '../../../packages/core/src/bytes.ts'
import { encodeRlp, encodeString, encodeUint } from '../../../packages/core/src/codec/rlp.ts'
import {
  blockHash,
  decodeBlock,
  decodeCommit,
  decodeFrame,
  decodeTx,
  decodeVote,
  encodeBlock,
  encodeCommit,
  encodeFrame,
  encodeTx,
  encodeVote,
  txHash,
} from '../../../packages/core/src/codec/objects.ts'
import { bitmapFromIndices, indicesFromBitmap } from '../../../packages/core/src/codec/bitmap.ts'
import { type Block, type Transaction, type Vote, VoteStep } from '../../../packages/core/src/types/chain.ts'

const h = (byte: number, n = 32) => new Uint8Array(n).fill(byte)

const TX: Transaction = {
  network: 'testnet',
  entity: h(1),
  sender: h(2),
  nonce: 7,
  kind: 'counter.add',
  payload: fromHex('05'),
  signature: h(3, 64),
}

const VOTE: Vote = {
  network: 'testnet',
  entity: h(1),
  height: 10,
  round: 2,
  step: VoteStep.Precommit,
  blockHash: h(4),
  validator: 3,
  signature: h(5, 96),
}

const BLOCK: Block = {
  header: {
    network: 'testnet',
    entity: h(1),
    height: 10,
    time: 1_700_000_000_000,
    parentHash: h(6),
    proposer: 1,
    txsHash: h(7),
    stateRoot: h(8),
    validatorsHash: h(9),
  },
  txs: [encodeTx(TX)],
}

test('round trips', () => {
  assert.equal(decodeTx(encodeTx(TX)), TX)
  assert.equal(decodeVote(encodeVote(VOTE)), VOTE)
  assert.equal(decodeVote(encodeVote({ ...VOTE, blockHash: null })).blockHash, null)
  assert.equal(decodeBlock(encodeBlock(BLOCK)), BLOCK)
  const commit = { height: 10, round: 2, blockHash: h(4), signers: bitmapFromIndices([0, 2, 3], 4), signature: h(5, 96) }
  assert.equal(decodeCommit(encodeCommit(commit)), commit)
  const frame = { height: 3, prevHash: h(1), time: 99, inputs: [fromHex('c0'), fromHex('c180')], stateHash: h(2) }
  assert.equal(decodeFrame(encodeFrame(frame), 1 << 20), frame)
  assert.equal(decodeFrame(encodeFrame({ ...frame, prevHash: null }), 1 << 20).prevHash, null)
})

// Golden vectors: a change to any encoding changes these hashes and must be deliberate, since
// every signature and block hash on an existing network depends on them.
test('golden hashes of the canonical encodings', () => {
  assert.is(toHex(txHash(encodeTx(TX))), GOLDEN.tx)
  assert.is(toHex(blockHash(BLOCK.header)), GOLDEN.block)
  assert.is(toHex(txHash(encodeVote(VOTE))), GOLDEN.vote)
})

const GOLDEN = {
  tx: 'a0ad6ec069f74fa31620e247ed9dc749f0a36ff4fde481b2669c1bdb89d6c940',
  block: '2ff9c8e4ebd0a616442422e9e00b04434b167f3157abd36c655c626e3cf8ce70',
  vote: '75963a87ab2680002282c6ec0b1edd70c928e330181bcc7365421b0f1bc2a54a',
}

test('rejects trailing bytes and non-canonical fields', () => {
  assert.is(code(() => decodeTx(concat(encodeTx(TX), fromHex('00')))), 'CODEC_TRAILING_BYTES')
  // nonce 7 written with a leading zero byte: valid RLP, not a canonical integer
  const fields = [encodeString('testnet'), h(1), h(2), fromHex('0007'), encodeString('counter.add'), fromHex('05'), h(3, 64)]
  assert.is(code(() => decodeTx(encodeRlp(fields))), 'CODEC_BAD_FIELD')
  // wrong field count
  assert.is(code(() => decodeTx(encodeRlp(fields.slice(0, 6)))), 'CODEC_BAD_FIELD')
  // wrong lengths
  const shortSender = [...fields]
  shortSender[2] = h(2, 31)
  shortSender[3] = encodeUint(7)
  assert.is(code(() => decodeTx(encodeRlp(shortSender))), 'CODEC_BAD_FIELD')
  // a list where bytes belong
  assert.is(code(() => decodeVote(encodeRlp([encodeString('n'), [], encodeUint(1), encodeUint(0), encodeUint(1), h(1), encodeUint(0), h(5, 96)]))), 'CODEC_BAD_FIELD')
})

test('rejects unknown kinds, steps and oversized objects', () => {
  assert.is(code(() => decodeTx(encodeTx({ ...TX, kind: 'mint' as Transaction['kind'] }))), 'TX_UNKNOWN_KIND')
  assert.is(code(() => decodeVote(encodeVote({ ...VOTE, step: 3 as VoteStep }))), 'CODEC_BAD_FIELD')
  assert.is(code(() => decodeVote(encodeVote({ ...VOTE, blockHash: h(4, 31) }))), 'CODEC_BAD_FIELD')
  assert.is(code(() => decodeTx(new Uint8Array(20_000))), 'CODEC_TOO_LARGE')
  assert.is(code(() => decodeVote(new Uint8Array(600))), 'CODEC_TOO_LARGE')
  assert.is(code(() => decodeTx(fromHex('ff'))), 'CODEC_MALFORMED')
})

test('signer bitmaps have one encoding', () => {
  assert.equal(indicesFromBitmap(bitmapFromIndices([0, 3, 9], 10), 10), [0, 3, 9])
  assert.is(bitmapFromIndices([9], 10).length, 2)
  assert.is(code(() => indicesFromBitmap(fromHex('0004'), 10)), 'COMMIT_BAD_BITMAP') // bit 10 set, only 10 validators
  assert.is(code(() => indicesFromBitmap(fromHex('01'), 10)), 'COMMIT_BAD_BITMAP') // wrong length
})

test.run()
