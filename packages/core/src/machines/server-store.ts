// What the server keeps in the store besides blocks and its root: the frame log (read back for
// replays, trimmed to a window), the persisted mempool, and the blocks its validator signer voted for.

import { type Bytes, toHex } from '../bytes.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import { type ServerFrame, decodeFrame } from '../codec/objects.ts'
import { MAX_FRAME_BYTES } from '../limits.ts'
import type { BatchOp, KeyValueStore } from '../storage/interface.ts'
import { PREFIX_FRAME_HEIGHT, frameHeightKey, frameKey, metaKey, prefixRange } from '../storage/schema.ts'
import type { ValidatorSigner } from './signer.ts'
import type { EntityMachine } from './entity.ts'

/** Deletions per batch when a long frame log is trimmed. */
const TRIM_BATCH_OPS = 2_000

/** A waiting transaction, by entity and hash; without a hash, the prefix of an entity's pool. */
export function mempoolKey(entity: Bytes, txHash?: Bytes): Bytes {
  return metaKey(txHash ? `mempool/${toHex(entity)}/${toHex(txHash)}` : `mempool/${toHex(entity)}/`)
}

export function votedBlockKey(entity: Bytes, blockHash: Bytes): Bytes {
  return metaKey(`voted/${toHex(entity)}/${toHex(blockHash)}`)
}

/**
 * Re-admits the transactions that were waiting when the node stopped (or died): a transaction
 * the node accepted is in its persisted mempool until it commits or is dropped, so a restart
 * loses none. Those that became invalid meanwhile are deleted.
 */
export async function reloadMempool(store: KeyValueStore, entity: EntityMachine): Promise<void> {
  const stale: BatchOp[] = []
  for await (const [key, encoded] of store.iterate(prefixRange(mempoolKey(entity.id)))) {
    try {
      entity.addTransaction(encoded)
    } catch (err) {
      if (!isCoreError(err)) throw err
      stale.push({ type: 'del', key })
    }
  }
  entity.mempool.takeRemoved()
  if (stale.length > 0) await store.batch(stale)
}

/** The blocks a validator signer voted for at its latest height, as persisted with its votes. */
export async function loadVotedBlocks(store: KeyValueStore, signer: ValidatorSigner, entity: Bytes): Promise<Array<{ hash: Bytes; bytes: Bytes }>> {
  const out: Array<{ hash: Bytes; bytes: Bytes }> = []
  const seen = new Set<string>()
  for (const vote of signer.signedVotes(entity)) {
    if (!vote.blockHash || seen.has(toHex(vote.blockHash))) continue
    seen.add(toHex(vote.blockHash))
    const bytes = await store.get(votedBlockKey(entity, vote.blockHash))
    if (bytes) out.push({ hash: vote.blockHash, bytes })
  }
  return out
}

/** The frames in `store`, in height order, from `from` on: the log a replay runs through. */
export async function* readFrames(store: KeyValueStore, from = 1): AsyncIterableIterator<ServerFrame & { hash: Bytes }> {
  const range = prefixRange(new Uint8Array([PREFIX_FRAME_HEIGHT]))
  for await (const [, hash] of store.iterate({ ...range, gte: frameHeightKey(from) })) {
    const bytes = await store.get(frameKey(hash))
    if (bytes === undefined) throw new CoreError(ErrorCode.StorageCorrupt, 'frame index points at a missing frame')
    yield { ...decodeFrame(bytes, MAX_FRAME_BYTES), hash }
  }
}

/** Deletes every frame (index entry and body) below `height`, a few thousand at a time. */
export async function deleteFramesBelow(store: KeyValueStore, height: number): Promise<void> {
  if (height <= 1) return
  const range = prefixRange(new Uint8Array([PREFIX_FRAME_HEIGHT]))
  let ops: BatchOp[] = []
  for await (const [key, hash] of store.iterate({ ...range, lt: frameHeightKey(height) })) {
    ops.push({ type: 'del', key }, { type: 'del', key: frameKey(hash) })
    if (ops.length >= TRIM_BATCH_OPS) {
      await store.batch(ops)
      ops = []
    }
  }
  if (ops.length > 0) await store.batch(ops)
}
