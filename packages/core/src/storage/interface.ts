// The one storage contract of core. Everything that persists (chains, frames, server roots) goes
// through it, so core never names LevelDB and tests can run on memory. Both implementations run the
// same suite (test/core/storage/suite.ts), which is what keeps them interchangeable.

import type { Bytes } from '../bytes.ts'

export type BatchOp = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes }

/** A key range in byte order: from `gte` inclusive to `lt` exclusive; an absent bound is open. */
export interface KeyRange {
  gte?: Bytes
  lt?: Bytes
  /** Highest key first. `limit` then counts from the top. */
  reverse?: boolean
  /** At most this many entries; a non-negative integer, absent for no limit. */
  limit?: number
}

/**
 * An ordered key/value store of bytes. Keys sort lexicographically by byte, a key before its
 * extensions. Values handed in and out are never shared with the store: mutating them afterwards
 * changes nothing stored. Every operation after `close` rejects with CoreError StorageClosed;
 * `close` itself may be called again and does nothing.
 */
export interface KeyValueStore {
  get(key: Bytes): Promise<Bytes | undefined>
  getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]>
  put(key: Bytes, value: Bytes): Promise<void>
  del(key: Bytes): Promise<void>
  /**
   * All operations applied atomically, in order (a later op on the same key wins): after a crash
   * either all or none are visible. `sync: true` waits until the batch is on disk (fsync).
   * Malformed ops reject with a TypeError before anything is written.
   */
  batch(ops: BatchOp[], options?: { sync?: boolean }): Promise<void>
  /** A consistent view: writes made while iterating are not seen. */
  iterate(range: KeyRange): AsyncIterableIterator<[Bytes, Bytes]>
  close(): Promise<void>
}

// The shape checks both implementations share. They throw plain TypeError / RangeError because a
// malformed op is a programming error, not a condition of the data.

export function checkBatchOps(ops: BatchOp[]): void {
  if (!Array.isArray(ops)) throw new TypeError('batch ops must be an array')
  ops.forEach((op, i) => {
    if (op === null || typeof op !== 'object') throw new TypeError(`batch op ${i} is not an object`)
    if (!(op.key instanceof Uint8Array)) throw new TypeError(`batch op ${i}: key is not bytes`)
    if (op.type === 'put') {
      if (!(op.value instanceof Uint8Array)) throw new TypeError(`batch op ${i}: value is not bytes`)
    } else if (op.type !== 'del') {
      throw new TypeError(`batch op ${i}: unknown type ${String((op as { type: unknown }).type)}`)
    }
  })
}

export function checkBytes(value: unknown, what: string): asserts value is Bytes {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${what} is not bytes`)
}

export function checkRange(range: KeyRange): void {
  if (range.gte !== undefined) checkBytes(range.gte, 'range.gte')
  if (range.lt !== undefined) checkBytes(range.lt, 'range.lt')
  const limit = range.limit
  if (limit !== undefined && !(Number.isSafeInteger(limit) && limit >= 0)) {
    throw new RangeError(`range.limit must be a non-negative integer, got ${limit}`)
  }
}
