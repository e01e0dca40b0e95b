// Building a block as its proposer: the candidates (already signature-checked, in the mempool's
// order) are executed one by one against the tip's state; one that fails is left out and
// reported, so the block the proposer sends always passes validation by its peers.

import type { Bytes } from '../bytes.ts'
import { isCoreError } from '../errors.ts'
import { blockHash, txsHash } from '../codec/objects.ts'
import type { Block, Transaction } from '../types/chain.ts'
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
  for (const c of input.candidates) {
    if (txs.length >= params.maxBlockTxs) break
    const size = c.encoded.length + 5
    if (bytes + size > params.maxBlockBytes) break
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
