// The LevelDB KeyValueStore (classic-level). The only file of core that touches the disk; it sits
// behind KeyValueStore so that the logic above it runs the same on MemoryStore in tests.

import { ClassicLevel } from 'classic-level'
import type { Bytes } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { type BatchOp, checkBatchOps, checkBytes, checkRange, type KeyRange, type KeyValueStore } from './interface.ts'

/** Entries fetched per native call while iterating; classic-level also caps each call by bytes. */
const ITERATE_CHUNK = 1000

type Db = ClassicLevel<Bytes, Bytes>

export class LevelStore implements KeyValueStore {
  private closed = false

  private constructor(private readonly db: Db) {}

  /** Opens (creating if missing) the database at `path`. Rejects if another process holds it. */
  static async open(path: string): Promise<LevelStore> {
    const db: Db = new ClassicLevel<Bytes, Bytes>(path, { keyEncoding: 'view', valueEncoding: 'view' })
    await db.open()
    return new LevelStore(db)
  }

  async get(key: Bytes): Promise<Bytes | undefined> {
    this.checkOpen()
    checkBytes(key, 'key')
    const value = await this.call(() => this.db.get(key))
    return value === undefined ? undefined : plain(value)
  }

  async getMany(keys: Bytes[]): Promise<(Bytes | undefined)[]> {
    this.checkOpen()
    keys.forEach((key, i) => checkBytes(key, `keys[${i}]`))
    const values = await this.call(() => this.db.getMany(keys))
    return values.map((value) => (value === undefined ? undefined : plain(value)))
  }

  async put(key: Bytes, value: Bytes): Promise<void> {
    this.checkOpen()
    checkBytes(key, 'key')
    checkBytes(value, 'value')
    await this.call(() => this.db.put(key, value))
  }

  async del(key: Bytes): Promise<void> {
    this.checkOpen()
    checkBytes(key, 'key')
    await this.call(() => this.db.del(key))
  }

  async batch(ops: BatchOp[], options: { sync?: boolean } = {}): Promise<void> {
    this.checkOpen()
    // Checked here because the 'view' encoding would quietly turn a string key into bytes.
    checkBatchOps(ops)
    await this.call(() => this.db.batch(ops, { sync: options.sync === true }))
  }

  async *iterate(range: KeyRange): AsyncIterableIterator<[Bytes, Bytes]> {
    this.checkOpen()
    checkRange(range)
    const iterator = this.db.iterator({
      reverse: range.reverse === true,
      ...(range.gte !== undefined && { gte: range.gte }),
      ...(range.lt !== undefined && { lt: range.lt }),
      ...(range.limit !== undefined && { limit: range.limit }),
    })
    try {
      for (;;) {
        const chunk = await this.call(() => iterator.nextv(ITERATE_CHUNK))
        if (chunk.length === 0) return
        for (const [key, value] of chunk) {
          // A chunk may outlive a close; checking here ends the iteration as MemoryStore does.
          this.checkOpen()
          yield [plain(key), plain(value)]
        }
      }
    } finally {
      await iterator.close()
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.db.close()
  }

  private checkOpen(): void {
    if (this.closed) throw new CoreError(ErrorCode.StorageClosed, 'level store is closed')
  }

  /** Runs a LevelDB call, giving its failures the codes of core. */
  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (err) {
      throw translate(err)
    }
  }
}

function translate(err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_ITERATOR_NOT_OPEN') {
    return new CoreError(ErrorCode.StorageClosed, 'level store is closed', { cause: code })
  }
  if (code === 'LEVEL_CORRUPTION') {
    return new CoreError(ErrorCode.StorageCorrupt, (err as Error).message, { cause: code })
  }
  return err
}

/** classic-level hands out Buffers; core's byte type is the plain Uint8Array, so give a view. */
function plain(bytes: Uint8Array): Bytes {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
