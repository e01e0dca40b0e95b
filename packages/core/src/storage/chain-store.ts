// Typed access to one entity's chain in a KeyValueStore. It stores blocks and commits as the
// encoded bytes it is given and never decodes them (the codec is elsewhere); the only values it
// reads itself are its small RLP index records, and those it checks strictly, because a record
// that fails to decode means the database, not a peer, is wrong.

import { type Bytes, EMPTY } from '../bytes.ts'
import { asBytes, asList, asUint, decodeRlp, encodeRlp, encodeUint, type RlpItem } from '../codec/rlp.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import { HASH_LENGTH } from '../hash.ts'
import type { BatchOp, KeyValueStore } from './interface.ts'
import {
  blockKey,
  commitKey,
  firstKeptKey,
  headKey,
  heightKey,
  STATE_KEY_OFFSET,
  stateKey,
  stateRange,
  txIndexKey,
} from './schema.ts'

/** Head, height index, tx index and first-kept records are a few dozen bytes; anything larger is corrupt. */
const MAX_INDEX_RECORD_BYTES = 128

export interface CommittedBlock {
  height: number
  blockHash: Bytes
  /** The encoded block. */
  block: Bytes
  /** The encoded commit that finalized it. */
  commit: Bytes
  /** The entity's state root after the block. */
  stateRoot: Bytes
  /** State changes the block made, in order; null deletes the key. */
  stateWrites: Array<[key: Bytes, value: Bytes | null]>
  /** Hashes of the block's transactions, in block order. */
  txHashes: Bytes[]
}

export interface Head {
  height: number
  blockHash: Bytes
  stateRoot: Bytes
}

export interface TxLocation {
  height: number
  /** Position of the transaction in its block. */
  index: number
}

export class ChainStore {
  private kept = 1

  constructor(
    private readonly store: KeyValueStore,
    readonly entity: Bytes,
  ) {
    headKey(entity) // throws now, not at the first save, if the entity id has the wrong length
  }

  /**
   * The lowest height whose block and commit are stored: 1 until blocks were pruned. Held in
   * memory (loadFirstKept reads it from disk) and raised by prune() before its deletions are
   * written, so a reader that checks it never mistakes a pruned block for a damaged database.
   */
  get firstKept(): number {
    return this.kept
  }

  async loadFirstKept(): Promise<number> {
    const bytes = await this.store.get(firstKeptKey(this.entity))
    if (bytes !== undefined) {
      const height = decodeRecord(bytes, 'first-kept', (item) => asUint(item, 'firstKept'))
      if (height < 1) throw new CoreError(ErrorCode.StorageCorrupt, 'first-kept record below height 1', { height })
      this.kept = height
    }
    return this.kept
  }

  /**
   * The operations that delete height `height`'s block, height index, commit and the tx index
   * entries of its transactions (the caller decoded the block for their hashes). The state, the
   * head and every other height stay.
   */
  pruneOps(height: number, blockHash: Bytes, txHashes: Bytes[]): BatchOp[] {
    const e = this.entity
    return [
      { type: 'del', key: blockKey(e, blockHash) },
      { type: 'del', key: heightKey(e, height) },
      { type: 'del', key: commitKey(e, height) },
      ...txHashes.map((txHash): BatchOp => ({ type: 'del', key: txIndexKey(e, txHash) })),
    ]
  }

  /**
   * Writes `ops` (pruneOps of every height below `firstKept` not pruned yet) with the new mark, in
   * one batch. The mark in memory rises first: from then on readers treat those heights as gone
   * (and it comes back down if the batch fails).
   */
  async prune(ops: BatchOp[], firstKept: number): Promise<void> {
    if (!Number.isSafeInteger(firstKept) || firstKept < this.kept) throw new RangeError(`first kept height ${firstKept} is below ${this.kept}`)
    const before = this.kept
    this.kept = firstKept
    try {
      await this.store.batch([...ops, { type: 'put', key: firstKeptKey(this.entity), value: encodeRlp(encodeUint(firstKept)) }])
    } catch (err) {
      // nothing was deleted: the heights are there to serve, and to prune again later
      this.kept = before
      throw err
    }
  }

  /**
   * Writes everything a committed block changes in one atomic batch, so that after a crash the
   * head never points past a block, commit or state that is missing. Ordering rules (heights in
   * sequence, parents known) are consensus's business, not this layer's.
   */
  async saveBlock(b: CommittedBlock, options: { sync?: boolean } = {}): Promise<void> {
    await this.store.batch(this.blockOps(b), options)
  }

  /**
   * The operations saveBlock writes, for a caller that adds them to a larger atomic batch (the
   * server writes a block together with the frame that committed it).
   */
  blockOps(b: CommittedBlock): BatchOp[] {
    if (!(b.stateRoot instanceof Uint8Array) || b.stateRoot.length !== HASH_LENGTH) {
      throw new RangeError(`stateRoot must be ${HASH_LENGTH} bytes`)
    }
    const e = this.entity
    const ops: BatchOp[] = [
      { type: 'put', key: blockKey(e, b.blockHash), value: b.block },
      { type: 'put', key: heightKey(e, b.height), value: encodeRlp(b.blockHash) },
      { type: 'put', key: commitKey(e, b.height), value: b.commit },
    ]
    for (const [key, value] of b.stateWrites) {
      ops.push(value === null ? { type: 'del', key: stateKey(e, key) } : { type: 'put', key: stateKey(e, key), value })
    }
    b.txHashes.forEach((txHash, index) => {
      const location = encodeRlp([encodeUint(b.height), encodeUint(index)])
      ops.push({ type: 'put', key: txIndexKey(e, txHash), value: location })
    })
    const head = encodeRlp([encodeUint(b.height), b.blockHash, b.stateRoot])
    ops.push({ type: 'put', key: headKey(e), value: head })
    return ops
  }

  /** Height 0: the genesis state and a head pointing at the entity id, before any block. */
  genesisOps(stateRoot: Bytes, stateWrites: CommittedBlock['stateWrites']): BatchOp[] {
    const e = this.entity
    const ops: BatchOp[] = stateWrites.map(([key, value]) =>
      value === null ? { type: 'del', key: stateKey(e, key) } : { type: 'put', key: stateKey(e, key), value },
    )
    ops.push({ type: 'put', key: headKey(e), value: encodeRlp([encodeUint(0), e, stateRoot]) })
    return ops
  }

  async loadHead(): Promise<Head | undefined> {
    const bytes = await this.store.get(headKey(this.entity))
    if (bytes === undefined) return undefined
    return decodeRecord(bytes, 'head', (item) => {
      const [height, blockHash, stateRoot] = asList(item, 'head', 3)
      return {
        height: asUint(height, 'head.height'),
        blockHash: asBytes(blockHash, 'head.blockHash', HASH_LENGTH),
        stateRoot: asBytes(stateRoot, 'head.stateRoot', HASH_LENGTH),
      }
    })
  }

  async loadBlockHash(height: number): Promise<Bytes | undefined> {
    const bytes = await this.store.get(heightKey(this.entity, height))
    if (bytes === undefined) return undefined
    return decodeRecord(bytes, 'height index', (item) => asBytes(item, 'blockHash', HASH_LENGTH))
  }

  /** The block hashes of heights `from` up to, not including, `to`, in one read (undefined where none). */
  async loadBlockHashes(from: number, to: number): Promise<Array<Bytes | undefined>> {
    const heights = Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i)
    const records = await this.store.getMany(heights.map((h) => heightKey(this.entity, h)))
    return records.map((bytes) => (bytes === undefined ? undefined : decodeRecord(bytes, 'height index', (item) => asBytes(item, 'blockHash', HASH_LENGTH))))
  }

  /** Blocks by hash, in one read (undefined where none). */
  async loadBlocks(blockHashes: Bytes[]): Promise<Array<Bytes | undefined>> {
    return this.store.getMany(blockHashes.map((hash) => blockKey(this.entity, hash)))
  }

  async loadBlock(blockHash: Bytes): Promise<Bytes | undefined> {
    return this.store.get(blockKey(this.entity, blockHash))
  }

  async loadBlockAt(height: number): Promise<Bytes | undefined> {
    const blockHash = await this.loadBlockHash(height)
    if (blockHash === undefined) return undefined
    const block = await this.loadBlock(blockHash)
    if (block === undefined) {
      // pruned between the two reads
      if (height < this.kept) return undefined
      // saveBlock writes both in one batch, so an index without its block is damage.
      throw new CoreError(ErrorCode.StorageCorrupt, `height ${height} indexes a block that is missing`, { height })
    }
    return block
  }

  async loadCommit(height: number): Promise<Bytes | undefined> {
    return this.store.get(commitKey(this.entity, height))
  }

  async loadTxLocation(txHash: Bytes): Promise<TxLocation | undefined> {
    const bytes = await this.store.get(txIndexKey(this.entity, txHash))
    if (bytes === undefined) return undefined
    return decodeRecord(bytes, 'tx index', (item) => {
      const [height, index] = asList(item, 'tx index', 2)
      return { height: asUint(height, 'tx.height'), index: asUint(index, 'tx.index') }
    })
  }

  async loadState(key: Bytes): Promise<Bytes | undefined> {
    return this.store.get(stateKey(this.entity, key))
  }

  /** The entity's state entries in key order, keys without the table and entity prefix. */
  async *iterateState(prefix: Bytes = EMPTY): AsyncIterableIterator<[Bytes, Bytes]> {
    for await (const [key, value] of this.store.iterate(stateRange(this.entity, prefix))) {
      yield [key.subarray(STATE_KEY_OFFSET), value]
    }
  }
}

function decodeRecord<T>(bytes: Bytes, what: string, read: (item: RlpItem) => T): T {
  try {
    return read(decodeRlp(bytes, MAX_INDEX_RECORD_BYTES, what))
  } catch (err) {
    if (!isCoreError(err)) throw err
    throw new CoreError(ErrorCode.StorageCorrupt, `${what} record does not decode`, { what, cause: err.code })
  }
}
