// Canonical encodings of the consensus objects. Every object is an RLP list with a fixed number
// of fields in a fixed order; integers are canonical RLP integers; hashes are SHA-256 of the
// canonical encoding. Decoders are strict: size first, then canonical RLP, then each field's shape.

import type { Bytes } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import {
  MAX_BLOCK_BYTES,
  MAX_BLOCK_TXS,
  MAX_COMMIT_BYTES,
  MAX_NETWORK_NAME,
  MAX_TX_BYTES,
  MAX_TX_PAYLOAD,
  MAX_VOTE_BYTES,
} from '../limits.ts'
import {
  type Block,
  type BlockHeader,
  type Commit,
  type Transaction,
  type TxKind,
  type UnsignedTransaction,
  type Vote,
  type VoteStep,
  TX_KINDS,
} from '../types/chain.ts'
import {
  type RlpItem,
  asBoundedBytes,
  asBytes,
  asList,
  asOptionalHash,
  asString,
  asUint,
  decodeRlp,
  encodeRlp,
  encodeString,
  encodeUint,
} from './rlp.ts'

const EMPTY = new Uint8Array(0)

// ---- transactions

function unsignedTxFields(tx: UnsignedTransaction): RlpItem[] {
  return [
    encodeString(tx.network),
    tx.entity,
    tx.sender,
    encodeUint(tx.nonce),
    encodeString(tx.kind),
    tx.payload,
  ]
}

/** The bytes an account signs (under the tx domain of the transaction's network and entity). */
export function txSigningMessage(tx: UnsignedTransaction): Bytes {
  return encodeRlp(unsignedTxFields(tx))
}

export function encodeTx(tx: Transaction): Bytes {
  return encodeRlp([...unsignedTxFields(tx), tx.signature])
}

export function decodeTx(bytes: Bytes): Transaction {
  const f = asList(decodeRlp(bytes, MAX_TX_BYTES, 'transaction'), 'transaction', 7)
  const kind = asString(f[4], 'tx.kind', 32)
  if (!TX_KINDS.includes(kind)) throw new CoreError(ErrorCode.TxUnknownKind, `unknown transaction kind ${kind}`)
  return {
    network: asString(f[0], 'tx.network', MAX_NETWORK_NAME),
    entity: asBytes(f[1], 'tx.entity', 32),
    sender: asBytes(f[2], 'tx.sender', 32),
    nonce: asUint(f[3], 'tx.nonce'),
    kind: kind as TxKind,
    payload: asBoundedBytes(f[5], 'tx.payload', MAX_TX_PAYLOAD),
    signature: asBytes(f[6], 'tx.signature', 64),
  }
}

/** A transaction's id: the hash of its full canonical encoding, signature included. */
export function txHash(encoded: Bytes): Bytes {
  return sha256(encoded)
}

// ---- blocks

export function encodeHeader(h: BlockHeader): Bytes {
  return encodeRlp(headerFields(h))
}

function headerFields(h: BlockHeader): RlpItem[] {
  return [
    encodeString(h.network),
    h.entity,
    encodeUint(h.height),
    encodeUint(h.time),
    h.parentHash,
    encodeUint(h.proposer),
    h.txsHash,
    h.stateRoot,
    h.validatorsHash,
  ]
}

function decodeHeaderFields(item: RlpItem | undefined): BlockHeader {
  const f = asList(item, 'header', 9)
  return {
    network: asString(f[0], 'header.network', MAX_NETWORK_NAME),
    entity: asBytes(f[1], 'header.entity', 32),
    height: asUint(f[2], 'header.height'),
    time: asUint(f[3], 'header.time'),
    parentHash: asBytes(f[4], 'header.parentHash', 32),
    proposer: asUint(f[5], 'header.proposer'),
    txsHash: asBytes(f[6], 'header.txsHash', 32),
    stateRoot: asBytes(f[7], 'header.stateRoot', 32),
    validatorsHash: asBytes(f[8], 'header.validatorsHash', 32),
  }
}

export function decodeHeader(bytes: Bytes): BlockHeader {
  return decodeHeaderFields(decodeRlp(bytes, 1024, 'header'))
}

/** A block's id is the hash of its header; the header commits to the transactions by txsHash. */
export function blockHash(header: BlockHeader): Bytes {
  return sha256(encodeHeader(header))
}

export function txsHash(txs: Bytes[]): Bytes {
  return sha256(encodeRlp(txs))
}

export function encodeBlock(block: Block): Bytes {
  return encodeRlp([headerFields(block.header), block.txs])
}

export function decodeBlock(bytes: Bytes): Block {
  const f = asList(decodeRlp(bytes, MAX_BLOCK_BYTES, 'block'), 'block', 2)
  const txs = asList(f[1], 'block.txs')
  if (txs.length > MAX_BLOCK_TXS) {
    throw new CoreError(ErrorCode.BlockTooManyTxs, `block has ${txs.length} transactions, limit ${MAX_BLOCK_TXS}`)
  }
  return {
    header: decodeHeaderFields(f[0]),
    txs: txs.map((tx, i) => asBoundedBytes(tx, `block.txs[${i}]`, MAX_TX_BYTES)),
  }
}

// ---- votes and commits

export interface VoteTarget {
  height: number
  round: number
  step: VoteStep
  blockHash: Bytes | null
}

/** What a validator signs for a vote (under the vote domain of its network and entity). */
export function voteSigningMessage(v: VoteTarget): Bytes {
  return encodeRlp([encodeUint(v.height), encodeUint(v.round), encodeUint(v.step), v.blockHash ?? EMPTY])
}

export function encodeVote(v: Vote): Bytes {
  return encodeRlp([
    encodeString(v.network),
    v.entity,
    encodeUint(v.height),
    encodeUint(v.round),
    encodeUint(v.step),
    v.blockHash ?? EMPTY,
    encodeUint(v.validator),
    v.signature,
  ])
}

export function decodeVote(bytes: Bytes): Vote {
  const f = asList(decodeRlp(bytes, MAX_VOTE_BYTES, 'vote'), 'vote', 8)
  const step = asUint(f[4], 'vote.step')
  if (step !== 1 && step !== 2) throw new CoreError(ErrorCode.CodecBadField, `vote.step: ${step} is not a vote step`)
  return {
    network: asString(f[0], 'vote.network', MAX_NETWORK_NAME),
    entity: asBytes(f[1], 'vote.entity', 32),
    height: asUint(f[2], 'vote.height'),
    round: asUint(f[3], 'vote.round'),
    step: step as VoteStep,
    blockHash: asOptionalHash(f[5], 'vote.blockHash'),
    validator: asUint(f[6], 'vote.validator'),
    signature: asBytes(f[7], 'vote.signature', 96),
  }
}

export function encodeCommit(c: Commit): Bytes {
  return encodeRlp([encodeUint(c.height), encodeUint(c.round), c.blockHash, c.signers, c.signature])
}

export function decodeCommit(bytes: Bytes): Commit {
  const f = asList(decodeRlp(bytes, MAX_COMMIT_BYTES, 'commit'), 'commit', 5)
  return {
    height: asUint(f[0], 'commit.height'),
    round: asUint(f[1], 'commit.round'),
    blockHash: asBytes(f[2], 'commit.blockHash', 32),
    signers: asBoundedBytes(f[3], 'commit.signers', 128),
    signature: asBytes(f[4], 'commit.signature', 96),
  }
}

// ---- server frames

export interface ServerFrame {
  height: number
  /** Hash of the previous frame; empty for the first. */
  prevHash: Bytes | null
  time: number
  /** The raw server inputs received since the previous frame, in order. */
  inputs: Bytes[]
  /** Hash over the server's own state and every sub-machine's root after the inputs. */
  stateHash: Bytes
}

export function encodeFrame(f: ServerFrame): Bytes {
  return encodeRlp([encodeUint(f.height), f.prevHash ?? EMPTY, encodeUint(f.time), f.inputs, f.stateHash])
}

export function decodeFrame(bytes: Bytes, maxSize: number): ServerFrame {
  const f = asList(decodeRlp(bytes, maxSize, 'frame'), 'frame', 5)
  return {
    height: asUint(f[0], 'frame.height'),
    prevHash: asOptionalHash(f[1], 'frame.prevHash'),
    time: asUint(f[2], 'frame.time'),
    inputs: asList(f[3], 'frame.inputs').map((input, i) => asBytes(input, `frame.inputs[${i}]`)),
    stateHash: asBytes(f[4], 'frame.stateHash', 32),
  }
}
