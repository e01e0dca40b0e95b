// An in-memory KeyValueStore for tests and simulations. A sorted array with binary search: writes
// cost a splice, which is fine at the sizes tests use, and iteration is a slice.

import { type Bytes, compare } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { type BatchOp, checkBatchOps, checkBytes, checkRange, type KeyRange, type KeyValueStore } from './interface.ts'

// Entries are replaced, never mutated, so a slice taken by an iterator stays a true snapshot.
interface Entry {
  readonly key: Bytes
  readonly value: Bytes
}

export class MemoryStore implements KeyValueStore {
  private entries: Entry[] = []
  private closed = false

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.checkOpen()
    checkBytes(key, 'key')
    return this.read(key)
  }

  async getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    this.checkOpen()
    keys.forEach((key, i) => checkBytes(key, `keys[${i}]`))
    return keys.map((key) => this.read(key))
  }

  async put(key: Bytes, value: Bytes): Promise<void> {
    this.checkOpen()
    checkBytes(key, 'key')
    checkBytes(value, 'value')
    this.write(key, value)
  }

  async del(key: Bytes): Promise<void> {
    this.checkOpen()
    checkBytes(key, 'key')
    this.remove(key)
  }

  /** Atomic because every op is checked before the first is applied, and applying cannot fail. */
  async batch(ops: BatchOp[], _options?: { sync?: boolean }): Promise<void> {
    this.checkOpen()
    checkBatchOps(ops)
    for (const op of ops) {
      if (op.type === 'put') this.write(op.key, op.value)
      else this.remove(op.key)
    }
  }

  async *iterate(range: KeyRange): AsyncIterableIterator<[Bytes, Bytes]> {
    this.checkOpen()
    checkRange(range)
    const start = range.gte === undefined ? 0 : this.lowerBound(range.gte)
    const end = range.lt === undefined ? this.entries.length : this.lowerBound(range.lt)
    const view = this.entries.slice(start, Math.max(start, end))
    if (range.reverse === true) view.reverse()
    const count = Math.min(view.length, range.limit ?? Infinity)
    for (let i = 0; i < count; i++) {
      // Checked at every step so that closing ends an iteration in progress, as LevelDB does.
      this.checkOpen()
      const entry = view[i]!
      yield [entry.key.slice(), entry.value.slice()]
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.entries = []
  }

  private checkOpen(): void {
    if (this.closed) throw new CoreError(ErrorCode.StorageClosed, 'memory store is closed')
  }

  private read(key: Bytes): Bytes | undefined {
    const i = this.lowerBound(key)
    const entry = this.entries[i]
    return entry !== undefined && compare(entry.key, key) === 0 ? entry.value.slice() : undefined
  }

  private write(key: Bytes, value: Bytes): void {
    const entry: Entry = { key: key.slice(), value: value.slice() }
    const i = this.lowerBound(key)
    const found = this.entries[i]
    if (found !== undefined && compare(found.key, key) === 0) this.entries[i] = entry
    else this.entries.splice(i, 0, entry)
  }

  private remove(key: Bytes): void {
    const i = this.lowerBound(key)
    const found = this.entries[i]
    if (found !== undefined && compare(found.key, key) === 0) this.entries.splice(i, 1)
  }

  /** Index of the first entry whose key is >= `key`. */
  private lowerBound(key: Bytes): number {
    let lo = 0
    let hi = this.entries.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (compare(this.entries[mid]!.key, key) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
