// Building a block as its proposer: the candidates (already signature-checked, in the mempool's
// order) are executed one by one against the tip's state; one that fails is left out and
// reported, so the block the proposer sends always passes validation by its peers.

import { type Bytes, toHex } from '../bytes.ts'
import { isCoreError } from '../errors.ts'
import { blockHash, txsHash } from '../codec/objects.ts'
import { type Block, type Transaction, TxKind } from '../types/chain.ts'
import { applyTransaction, endBlock, newBlockContext } from '../machines/execute.ts'
import type { ChainId, ExecutedBlock, Tip } from './block.ts'

export interface Candidate {
  encoded: Bytes
  tx: Transaction
  hash: Bytes
}

export interface BuildInput {
  tip: Tip
  chain: ChainId
  time: number
  proposer: number
  candidates: Iterable<Candidate>
}

export interface BuiltBlock extends ExecutedBlock {
  rejected: Array<{ hash: Bytes; code: string }>
}

/** Room kept in maxBlockBytes for the header and list framing. */
const BLOCK_OVERHEAD_BYTES = 512
/**
 * entity.create candidates a proposer tries per block, failed ones included, as a multiple of
 * maxEntitiesPerBlock: each checks up to ~45 proofs of possession (registry.ts), and one that
 * fails late costs its sender nothing, so without this a flood of them would hold up the block.
 * The rest wait in the mempool for later blocks. Only the proposer's choice: not a validity rule.
 */
export const ENTITY_CREATE_TRIES_PER_ALLOWED = 2

export function buildBlock(input: BuildInput): BuiltBlock {
  const { tip, chain } = input
  const params = tip.state.params()
  const height = tip.height + 1
  const batch = tip.state.batch()
  const ctx = newBlockContext(height)
  const txs: Bytes[] = []
  const txHashes: Bytes[] = []
  const rejected: BuiltBlock['rejected'] = []
  let bytes = BLOCK_OVERHEAD_BYTES
  let creates = 0
  /** Senders one of whose transactions waits for a later block: their later nonces wait too. */
  const held = new Set<string>()
  for (const c of input.candidates) {
    if (txs.length >= params.maxBlockTxs) break
    const size = c.encoded.length + 5
    if (bytes + size > params.maxBlockBytes) break
    const sender = toHex(c.tx.sender)
    if (held.has(sender)) continue
    if (c.tx.kind === TxKind.EntityCreate && ++creates > ENTITY_CREATE_TRIES_PER_ALLOWED * params.maxEntitiesPerBlock) {
      held.add(sender)
      continue
    }
    try {
      applyTransaction(batch, ctx, c.tx, c.hash)
    } catch (err) {
      if (!isCoreError(err)) throw err
      rejected.push({ hash: c.hash, code: err.code })
      continue
    }
    txs.push(c.encoded)
    txHashes.push(c.hash)
    bytes += size
  }
  endBlock(batch, ctx)
  const { state, writes } = batch.finish()
  const block: Block = {
    header: {
      network: chain.network,
      entity: chain.entity,
      height,
      time: Math.max(input.time, tip.time),
      parentHash: tip.hash,
      proposer: input.proposer,
      txsHash: txsHash(txs),
      stateRoot: state.root(),
      validatorsHash: tip.state.validatorsHash(),
    },
    txs,
  }
  return { block, hash: blockHash(block.header), state, writes, txHashes, rejected }
}
