// Pruning old blocks: deletes a bounded run of the oldest stored heights (block, height index,
// commit, tx index entries) and raises the chain's first-kept mark, in one batch. What a node
// needs to run is never touched: the state, the head and its block, the frames, the mempool, the
// voted blocks. Pacing (how often, how many at once) is the caller's: see the node's pruner.

import { decodeBlock, txHash } from '../codec/objects.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import type { BatchOp } from '../storage/interface.ts'
import type { ChainStore } from '../storage/chain-store.ts'

export interface PruneResult {
  /** Heights deleted by this call. */
  pruned: number
  /** The chain's first kept height after it. */
  firstKept: number
}

/**
 * Prunes heights from the chain's first kept height up to, not including, `below`, at most
 * `maxBlocks` of them. `below` is capped at the head's height: the head block always stays (a
 * restart reads its time), so a caller cannot prune past it by mistake.
 */
export async function pruneBlocks(chain: ChainStore, below: number, maxBlocks: number): Promise<PruneResult> {
  if (!Number.isSafeInteger(maxBlocks) || maxBlocks < 1) throw new RangeError(`maxBlocks must be a positive integer, got ${maxBlocks}`)
  const head = (await chain.loadHead())?.height ?? 0
  const from = chain.firstKept
  const to = Math.min(below, head, from + maxBlocks)
  if (to <= from) return { pruned: 0, firstKept: from }
  // two reads for the whole run, not two per height: a run is a few milliseconds of LevelDB
  const hashes = await chain.loadBlockHashes(from, to)
  // a height with nothing indexed has nothing to delete (no batch writes half a height)
  const indexed = hashes.flatMap((hash, i) => (hash === undefined ? [] : [{ height: from + i, hash }]))
  const blocks = await chain.loadBlocks(indexed.map((h) => h.hash))
  const ops: BatchOp[] = indexed.flatMap(({ height, hash }, i) => {
    const block = blocks[i]
    return chain.pruneOps(height, hash, block === undefined ? [] : txHashesOf(block, height))
  })
  await chain.prune(ops, to)
  return { pruned: to - from, firstKept: to }
}

function txHashesOf(block: Uint8Array, height: number): Uint8Array[] {
  try {
    return decodeBlock(block).txs.map(txHash)
  } catch (err) {
    if (!isCoreError(err)) throw err
    // our own database holds it: a block that does not decode is damage, not a peer's fault
    throw new CoreError(ErrorCode.StorageCorrupt, `stored block ${height} does not decode`, { height, cause: err.code })
  }
}
