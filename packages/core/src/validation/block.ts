// Block validation in stages, cheapest first, as Lodestar does: sanity (sizes and header fields
// against the parent, and the proposer against the schedule), then transaction signatures, then
// execution against the parent state (which ends with the state root check). A proposal is also
// checked against the local clock (checkTime). The commit is checked by validation/commit.ts. Each
// failure is a CoreError with its own code.

import { type Bytes, equals } from '../bytes.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import { blockHash, decodeBlock, decodeTx, encodeBlock, txHash, txSigningMessage, txsHash } from '../codec/objects.ts'
import { SignatureKind } from '../crypto/domain.ts'
import { verifyEd25519 } from '../crypto/ed25519.ts'
import type { Block, BlockHeader, Transaction, Validator } from '../types/chain.ts'
import { MAX_CLOCK_DRIFT_MS } from '../consensus/params.ts'
import { ProposerSchedule } from '../consensus/proposer.ts'
import type { EntityState, StateWrite } from '../machines/entity-state.ts'
import { applyTransaction, endBlock, newBlockContext } from '../machines/execute.ts'

/** The block a new one builds on: height 0 is the genesis, whose hash is the entity id. */
export interface Tip {
  height: number
  hash: Bytes
  time: number
  /** State after the tip, which also holds the validator set governing height + 1. */
  state: EntityState
}

export interface ChainId {
  network: string
  entity: Bytes
}

export interface ExecutedBlock {
  block: Block
  hash: Bytes
  state: EntityState
  writes: StateWrite[]
  txHashes: Bytes[]
}

function fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}): never {
  throw new CoreError(code, message, details)
}

/** Stage 1: everything that needs no signature check and no execution. */
export function checkSanity(block: Block, tip: Tip, chain: ChainId, encodedSize?: number): void {
  const h = block.header
  const params = tip.state.params()
  const size = encodedSize ?? encodeBlock(block).length
  if (size > params.maxBlockBytes) fail(ErrorCode.BlockTooLarge, `block is ${size} bytes, limit ${params.maxBlockBytes}`)
  if (block.txs.length > params.maxBlockTxs) fail(ErrorCode.BlockTooManyTxs, `${block.txs.length} transactions, limit ${params.maxBlockTxs}`)
  if (h.network !== chain.network) fail(ErrorCode.BlockWrongNetwork, `block of network ${h.network}`)
  if (!equals(h.entity, chain.entity)) fail(ErrorCode.BlockWrongEntity, 'block of another entity')
  if (h.height !== tip.height + 1) fail(ErrorCode.BlockWrongHeight, `height ${h.height} does not follow ${tip.height}`)
  if (!equals(h.parentHash, tip.hash)) fail(ErrorCode.BlockParentUnknown, 'parent hash is not the tip')
  if (h.time < tip.time) fail(ErrorCode.BlockTimeBeforeParent, `time ${h.time} before parent ${tip.time}`)
  if (!equals(h.txsHash, txsHash(block.txs))) fail(ErrorCode.BlockTxsHashMismatch, 'txsHash does not match the transactions')
  if (!equals(h.validatorsHash, tip.state.validatorsHash())) {
    fail(ErrorCode.BlockValidatorsHashMismatch, 'validatorsHash is not the set governing this height')
  }
  if (h.proposer >= tip.state.validators().length) fail(ErrorCode.BlockBadProposer, `no validator ${h.proposer}`)
}

/**
 * The header's proposer must be the scheduled proposer of its height at some round up to `round`,
 * the round at which the block is proposed or committed. Not "at `round`": a proposer re-proposes
 * the valid value of an earlier round, whose header was built by that round's proposer. (The node
 * also uses the header's proposer to pick who publishes the commit.)
 */
export function checkProposer(header: BlockHeader, validators: Validator[], round: number): void {
  if (!new ProposerSchedule(validators).proposesBy(header.height, header.proposer, round)) {
    fail(ErrorCode.BlockBadProposer, `validator ${header.proposer} is not a proposer of height ${header.height} by round ${round}`, {
      proposer: header.proposer,
      round,
    })
  }
}

/**
 * A proposed block's time may not run more than MAX_CLOCK_DRIFT_MS ahead of this node's clock
 * (`now`, passed in: core reads no clock). For proposals only: whether a committed block passes
 * must not depend on when a node applies it.
 */
export function checkTime(header: BlockHeader, now: number): void {
  if (header.time > now + MAX_CLOCK_DRIFT_MS) {
    fail(ErrorCode.BlockTimeInFuture, `time ${header.time} is more than ${MAX_CLOCK_DRIFT_MS} ms ahead of ${now}`, { now })
  }
}

/**
 * A block decoded, its body checked against its header, and its id. A block's id is its header's
 * hash, and proposals and commits sign only that: the body must be the header's (txsHash) before
 * anything is trusted, cached or forwarded under the id, or a peer could pass off other
 * transactions under a genuine header and signature (BLOCK_TXS_HASH_MISMATCH).
 */
export function decodeBoundBlock(bytes: Bytes): { block: Block; hash: Bytes } {
  const block = decodeBlock(bytes)
  if (!equals(txsHash(block.txs), block.header.txsHash)) fail(ErrorCode.BlockTxsHashMismatch, 'block transactions do not match its header')
  return { block, hash: blockHash(block.header) }
}

/**
 * Decodes a transaction and checks its chain and signature (no state needed). `verified` says the
 * signature of these exact bytes was already checked (by the mempool), so it is not checked twice.
 */
export function checkTransaction(encoded: Bytes, chain: ChainId, verified = false): Transaction {
  const tx = decodeTx(encoded)
  if (tx.network !== chain.network) fail(ErrorCode.TxWrongNetwork, `transaction of network ${tx.network}`)
  if (!equals(tx.entity, chain.entity)) fail(ErrorCode.TxWrongEntity, 'transaction of another entity')
  if (!verified) checkTxSignature(tx)
  return tx
}

/** A decoded transaction's signature, under the tx domain of its network and entity (TX_BAD_SIGNATURE). */
export function checkTxSignature(tx: Transaction): void {
  const domain = { network: tx.network, entity: tx.entity, kind: SignatureKind.Tx }
  if (!verifyEd25519(tx.sender, domain, txSigningMessage(tx), tx.signature)) {
    fail(ErrorCode.TxBadSignature, 'transaction signature does not verify')
  }
}

function blockTxError(index: number, err: unknown): never {
  if (!isCoreError(err)) throw err
  throw new CoreError(ErrorCode.BlockBadTx, `transaction ${index}: ${err.message}`, { index, cause: err.code })
}

/** Answers whether the signature of the transaction with this hash was already verified. */
export type VerifiedSignatures = (txHash: Bytes) => boolean

/** Stage 2: every transaction decodes, belongs to this chain and carries a valid signature. */
export function checkSignatures(block: Block, chain: ChainId, txHashes: Bytes[], verified?: VerifiedSignatures): Transaction[] {
  return block.txs.map((encoded, i) => {
    try {
      return checkTransaction(encoded, chain, verified?.(txHashes[i]!) ?? false)
    } catch (err) {
      return blockTxError(i, err)
    }
  })
}

/** Stage 3: applies the transactions and the end of the block, then checks the state root. */
export function execute(block: Block, txs: Transaction[], tip: Tip, txHashes = block.txs.map((encoded) => txHash(encoded))): ExecutedBlock {
  const batch = tip.state.batch()
  const ctx = newBlockContext(block.header.height)
  txs.forEach((tx, i) => {
    try {
      applyTransaction(batch, ctx, tx, txHashes[i]!)
    } catch (err) {
      blockTxError(i, err)
    }
  })
  endBlock(batch, ctx)
  const { state, writes } = batch.finish()
  if (!equals(state.root(), block.header.stateRoot)) fail(ErrorCode.BlockStateRootMismatch, 'state root does not match execution')
  return { block, hash: blockHash(block.header), state, writes, txHashes }
}

export interface ValidateOptions {
  encodedSize?: number
  verified?: VerifiedSignatures
  /**
   * The round at which the block is proposed or committed: when given, the header's proposer must
   * be scheduled by then (checkProposer). EntityMachine always gives it.
   */
  round?: number
}

/** All three stages; the commit is checked separately, before this, when one comes with the block. */
export function validateBlock(block: Block, tip: Tip, chain: ChainId, options: ValidateOptions = {}): ExecutedBlock {
  checkSanity(block, tip, chain, options.encodedSize)
  if (options.round !== undefined) checkProposer(block.header, tip.state.validators(), options.round)
  const txHashes = block.txs.map((encoded) => txHash(encoded))
  return execute(block, checkSignatures(block, chain, txHashes, options.verified), tip, txHashes)
}
