// The datastore libp2p runs on: LevelDB, with the peer store's records held in memory.
//
// libp2p's peer store reads, decodes, re-encodes and writes a peer's record on every stream
// opened either way (it merges the stream's protocol in, and stamps the record each time) and on
// every peer a DHT answer names. With the records in LevelDB that was a read and a write for each
// status request, ping and DHT query: about a tenth of a busy node's CPU in a 20-node devnet
// (docs/BENCHMARKS.md). Here the records (keys under PEERS_PREFIX) live in memory and the changed
// ones are written to LevelDB in one batch every PEER_FLUSH_INTERVAL_MS and at close; every other
// key (kad-dht's) goes straight to LevelDB. A crash loses at most one interval of peer-store
// changes: addresses and protocols the node learns again from its next connections.

import type { AbortOptions } from '@libp2p/interface'
import type { Batch, Datastore, Key, KeyQuery, Pair, Query } from 'interface-datastore'
import type { Logger } from './logger.ts'

/** libp2p's peer store keeps each peer under /peers/<peer id as a CID>. */
export const PEERS_PREFIX = '/peers/'
export const PEER_FLUSH_INTERVAL_MS = 30_000
/**
 * Peer records held in memory at most (a few hundred bytes each). The DHT can name any number of
 * peers; past this, records go straight to LevelDB as before.
 */
export const MAX_CACHED_PEERS = 4_096

/** "No such record", as LevelDB's datastore says it (the peer store checks the name). */
class RecordNotFound extends Error {
  override readonly name = 'NotFoundError'
  readonly code = 'ERR_NOT_FOUND'
}

export interface PeerDatastoreOptions {
  log: Logger
  maxCachedPeers?: number
}

export class PeerCachingDatastore implements Datastore {
  private readonly inner: Datastore
  private readonly log: Logger
  private readonly maxCached: number
  private readonly records = new Map<string, Pair>()
  private readonly dirty = new Set<string>()
  /** Every record in LevelDB is also in memory: a miss in memory is a miss. */
  private complete = true
  /** Writes to LevelDB, one after another (a batch, a delete), so none overtakes another. */
  private writes: Promise<void> = Promise.resolve()
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(inner: Datastore, options: PeerDatastoreOptions) {
    this.inner = inner
    this.log = options.log
    this.maxCached = options.maxCachedPeers ?? MAX_CACHED_PEERS
  }

  /** Reads the saved peer records into memory. */
  async load(): Promise<void> {
    for await (const pair of this.inner.query({ prefix: PEERS_PREFIX })) {
      if (this.records.size >= this.maxCached) {
        this.complete = false
        break
      }
      this.records.set(pair.key.toString(), pair)
    }
  }

  /** Starts the periodic flush. */
  start(): void {
    if (this.timer !== undefined) return
    this.timer = setInterval(() => void this.flush(), PEER_FLUSH_INTERVAL_MS)
  }

  /** Stops the periodic flush and writes what is pending. The inner store stays open. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.flush()
  }

  /** Writes the changed records in one batch; resolves once they are in LevelDB (or the failure is logged). */
  flush(): Promise<void> {
    return this.serialize(async () => {
      if (this.dirty.size === 0) return
      const keys = [...this.dirty]
      this.dirty.clear()
      const batch = this.inner.batch()
      for (const key of keys) {
        const pair = this.records.get(key)
        if (pair !== undefined) batch.put(pair.key, pair.value)
      }
      try {
        await batch.commit()
      } catch (err) {
        // keep them for the next flush; the records in memory are still right
        for (const key of keys) if (this.records.has(key)) this.dirty.add(key)
        this.log.warn({ err: (err as Error).message, records: keys.length }, 'peer records not saved')
      }
    })
  }

  /** Records waiting to be written (for tests). */
  get pending(): number {
    return this.dirty.size
  }

  async put(key: Key, value: Uint8Array, options?: AbortOptions): Promise<Key> {
    const id = key.toString()
    if (!isPeerKey(id)) return this.inner.put(key, value, options)
    if (this.records.has(id) || this.records.size < this.maxCached) {
      this.records.set(id, { key, value })
      this.dirty.add(id)
      return key
    }
    this.complete = false
    await this.serialize(async () => {
      await this.inner.put(key, value, options)
    })
    return key
  }

  async get(key: Key, options?: AbortOptions): Promise<Uint8Array> {
    const id = key.toString()
    if (!isPeerKey(id)) return this.inner.get(key, options)
    const pair = this.records.get(id)
    if (pair !== undefined) return pair.value
    if (this.complete) throw new RecordNotFound(`no record for ${id}`)
    return this.inner.get(key, options)
  }

  async has(key: Key, options?: AbortOptions): Promise<boolean> {
    const id = key.toString()
    if (!isPeerKey(id)) return this.inner.has(key, options)
    if (this.records.has(id)) return true
    return this.complete ? false : this.inner.has(key, options)
  }

  async delete(key: Key, options?: AbortOptions): Promise<void> {
    const id = key.toString()
    if (isPeerKey(id)) {
      this.records.delete(id)
      this.dirty.delete(id)
    }
    await this.serialize(async () => {
      await this.inner.delete(key, options)
    })
  }

  async *putMany(source: Iterable<Pair> | AsyncIterable<Pair>, options?: AbortOptions): AsyncGenerator<Key> {
    for await (const { key, value } of source) yield await this.put(key, value, options)
  }

  async *getMany(source: Iterable<Key> | AsyncIterable<Key>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const key of source) yield { key, value: await this.get(key, options) }
  }

  async *deleteMany(source: Iterable<Key> | AsyncIterable<Key>, options?: AbortOptions): AsyncGenerator<Key> {
    for await (const key of source) {
      await this.delete(key, options)
      yield key
    }
  }

  batch(): Batch {
    const ops: Array<{ key: Key; value?: Uint8Array }> = []
    return {
      put: (key, value) => void ops.push({ key, value }),
      delete: (key) => void ops.push({ key }),
      commit: async (options) => {
        for (const { key, value } of ops.splice(0)) {
          if (value === undefined) await this.delete(key, options)
          else await this.put(key, value, options)
        }
      },
    }
  }

  async *query(q: Query, options?: AbortOptions): AsyncGenerator<Pair> {
    if (!overlapsPeers(q.prefix)) {
      yield* this.inner.query(q, options)
      return
    }
    if (!isPeerKey(q.prefix ?? '')) {
      // a query wider than the peer records (the whole store): LevelDB, brought up to date first
      await this.flush()
      yield* this.inner.query(q, options)
      return
    }
    const prefix = q.prefix!
    const found = new Map<string, Pair>()
    if (!this.complete) for await (const pair of this.inner.query({ prefix }, options)) found.set(pair.key.toString(), pair)
    for (const [id, pair] of this.records) if (id.startsWith(prefix)) found.set(id, pair)
    yield* shape([...found.values()], q)
  }

  async *queryKeys(q: KeyQuery, options?: AbortOptions): AsyncGenerator<Key> {
    if (!overlapsPeers(q.prefix)) {
      yield* this.inner.queryKeys(q, options)
      return
    }
    // the peer store never lists keys alone; the whole store is read from LevelDB, brought up to date
    await this.flush()
    yield* this.inner.queryKeys(q, options)
  }

  private serialize(write: () => Promise<void>): Promise<void> {
    const next = this.writes.then(write)
    this.writes = next.catch(() => {})
    return next
  }
}

function isPeerKey(key: string): boolean {
  return key.startsWith(PEERS_PREFIX)
}

/** Whether keys under `prefix` may include peer records. */
function overlapsPeers(prefix: string | undefined): boolean {
  return prefix === undefined || PEERS_PREFIX.startsWith(prefix) || prefix.startsWith(PEERS_PREFIX)
}

/** Filters, orders, offset and limit, as a datastore applies them. */
function shape(pairs: Pair[], q: Query): Pair[] {
  let out = pairs
  for (const filter of q.filters ?? []) out = out.filter(filter)
  for (const order of q.orders ?? []) out = [...out].sort(order)
  if (q.offset !== undefined) out = out.slice(q.offset)
  if (q.limit !== undefined) out = out.slice(0, q.limit)
  return out
}
