// The pending transactions of one entity. Admission checks run cheapest first (size, duplicates,
// decoding, the sender's admission to a closed entity, nonce window, per-sender cap, room) and the
// signature last, so that a flood of transactions that could never be admitted costs a hash and a
// lookup each, not a signature check (review H-4); nothing is evicted before the newcomer's
// signature holds. Transactions are kept per sender in nonce order and reaped as contiguous runs
// from each sender's next nonce, senders taken in the order they first arrived. When the pool is
// full, the sender holding the most transactions gives up its last one to a sender holding fewer,
// so one account flooding the pool cannot lock everyone else out.

import { type Bytes, toHex } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { txHash } from '../codec/objects.ts'
import { addressOf } from '../crypto/ed25519.ts'
import { MAX_TX_BYTES } from '../limits.ts'
import type { Transaction } from '../types/chain.ts'
import type { StateReader } from '../machines/entity-state.ts'
import { checkSender } from '../machines/execute.ts'
import { type ChainId, checkTransaction, checkTxSignature } from '../validation/block.ts'
import type { Candidate } from '../validation/build.ts'
import { RecentSet } from './recent.ts'

export interface MempoolConfig {
  /** Most transactions held at once. */
  maxTxs: number
  /** Most bytes of encoded transactions held at once. */
  maxBytes: number
  /** Most transactions one account may have waiting; also how far ahead of its nonce it may go. */
  maxPerSender: number
  /** A transaction still waiting this many blocks after admission is dropped. */
  ttlBlocks: number
  /** How many committed hashes are remembered so that they are not admitted again. */
  recentCommitted: number
}

export const DEFAULT_MEMPOOL_CONFIG: MempoolConfig = {
  maxTxs: 20_000,
  maxBytes: 64 * 1024 * 1024,
  maxPerSender: 256,
  ttlBlocks: 600,
  recentCommitted: 200_000,
}

interface Entry extends Candidate {
  key: string
  account: string
  seq: number
  admittedAt: number
}

export interface Admitted {
  hash: Bytes
  tx: Transaction
}

export class Mempool {
  private readonly config: MempoolConfig
  private readonly byHash = new Map<string, Entry>()
  /** Per account: its waiting transactions sorted by nonce. */
  private readonly bySender = new Map<string, Entry[]>()
  private readonly committed: RecentSet
  private totalBytes = 0
  private seq = 0
  /** Hashes that left the pool since the last takeRemoved(), whatever the reason. */
  private removed: Bytes[] = []

  constructor(
    private readonly chain: ChainId,
    config: Partial<MempoolConfig> = {},
  ) {
    this.config = { ...DEFAULT_MEMPOOL_CONFIG, ...config }
    this.committed = new RecentSet(this.config.recentCommitted)
  }

  get size(): number {
    return this.byHash.size
  }

  get bytes(): number {
    return this.totalBytes
  }

  has(hash: Bytes): boolean {
    return this.byHash.has(toHex(hash))
  }

  get(hash: Bytes): Candidate | undefined {
    return this.byHash.get(toHex(hash))
  }

  /** Whether `account` has a transaction with this nonce waiting. */
  hasNonce(account: Bytes, nonce: number): boolean {
    return this.bySender.get(toHex(account))?.some((e) => e.tx.nonce === nonce) ?? false
  }

  /**
   * Whether some transaction could go into the next block: one whose nonce is its sender's next.
   * A pool of only nonce gaps is not work (a hostile client could otherwise hold an idle network
   * at its full block rate with one gapped transaction per account, until the TTL).
   */
  hasReady(state: StateReader): boolean {
    for (const queue of this.bySender.values()) {
      if (queue[0]!.tx.nonce === state.nonce(addressOf(queue[0]!.tx.sender))) return true
    }
    return false
  }

  wasCommitted(hash: Bytes): boolean {
    return this.committed.has(toHex(hash))
  }

  /** Admits a transaction or throws a CoreError saying why not. `height` is the tip's. */
  add(received: Bytes, state: StateReader, height: number): Admitted {
    // A decoded message's fields are views of the message (codec/rlp-decode.ts): a transaction
    // kept here must not keep the whole batch it came in alive, so it is copied when it is one.
    const encoded = received.byteLength === received.buffer.byteLength ? received : received.slice()
    if (encoded.length > MAX_TX_BYTES) {
      throw new CoreError(ErrorCode.MempoolTxTooLarge, `transaction is ${encoded.length} bytes, limit ${MAX_TX_BYTES}`)
    }
    const hash = txHash(encoded)
    const key = toHex(hash)
    if (this.byHash.has(key)) throw new CoreError(ErrorCode.MempoolDuplicate, 'transaction already pending')
    if (this.committed.has(key)) throw new CoreError(ErrorCode.MempoolAlreadyCommitted, 'transaction already committed')
    // decoded and matched to this chain, its signature not yet checked
    const tx = checkTransaction(encoded, this.chain, true)
    const address = addressOf(tx.sender)
    // a closed entity's strangers cost a lookup or two, never a signature check (review H-6)
    checkSender(state, address)
    const account = toHex(address)
    const next = state.nonce(address)
    if (tx.nonce < next) throw new CoreError(ErrorCode.TxNonceTooLow, `nonce ${tx.nonce} already used, next is ${next}`, { expected: next })
    if (tx.nonce >= next + this.config.maxPerSender) {
      throw new CoreError(ErrorCode.TxNonceGap, `nonce ${tx.nonce} is too far ahead of ${next}`, { expected: next })
    }
    const queue = this.bySender.get(account) ?? []
    if (queue.some((e) => e.tx.nonce === tx.nonce)) {
      throw new CoreError(ErrorCode.MempoolDuplicate, `another transaction with nonce ${tx.nonce} is pending`)
    }
    if (queue.length >= this.config.maxPerSender) {
      throw new CoreError(ErrorCode.MempoolSenderFull, `account has ${queue.length} transactions waiting`)
    }
    if (this.isFull(encoded.length) && !this.canEvictFor(queue.length)) throw this.full()
    checkTxSignature(tx)
    this.makeRoom(encoded.length, queue.length)

    const entry: Entry = { encoded, tx, hash, key, account, seq: this.seq++, admittedAt: height }
    let at = queue.length
    while (at > 0 && queue[at - 1]!.tx.nonce > tx.nonce) at--
    queue.splice(at, 0, entry)
    this.bySender.set(account, queue)
    this.byHash.set(key, entry)
    this.totalBytes += encoded.length
    return { hash, tx }
  }

  private isFull(bytes: number): boolean {
    return this.byHash.size + 1 > this.config.maxTxs || this.totalBytes + bytes > this.config.maxBytes
  }

  /** The sender holding the most transactions (the one that gives way when the pool is full). */
  private largest(): Entry[] | undefined {
    let largest: Entry[] | undefined
    for (const queue of this.bySender.values()) if (!largest || queue.length > largest.length) largest = queue
    return largest
  }

  /** Whether a sender holding `senderCount` may push out another's transaction. */
  private canEvictFor(senderCount: number): boolean {
    const largest = this.largest()
    return largest !== undefined && largest.length > senderCount + 1
  }

  private full(): CoreError {
    return new CoreError(ErrorCode.MempoolFull, `mempool holds ${this.byHash.size} transactions, ${this.totalBytes} bytes`, {
      size: this.byHash.size,
      bytes: this.totalBytes,
    })
  }

  private makeRoom(bytes: number, senderCount: number): void {
    while (this.isFull(bytes)) {
      if (!this.canEvictFor(senderCount)) throw this.full()
      const largest = this.largest()!
      this.remove(largest[largest.length - 1]!)
    }
  }

  /** Removes a transaction that can never be included (its execution failed at block building). */
  drop(hash: Bytes): void {
    const entry = this.byHash.get(toHex(hash))
    if (entry) this.remove(entry)
  }

  /** What left the pool since the last call (committed, evicted, dropped): for its persisted copy. */
  takeRemoved(): Bytes[] {
    const out = this.removed
    this.removed = []
    return out
  }

  private remove(entry: Entry): void {
    if (!this.byHash.delete(entry.key)) return
    this.removed.push(entry.hash)
    this.totalBytes -= entry.encoded.length
    const queue = this.bySender.get(entry.account)!
    queue.splice(queue.indexOf(entry), 1)
    if (queue.length === 0) this.bySender.delete(entry.account)
  }

  /**
   * Up to a block's worth of transactions: for each sender (in order of first arrival) the run of
   * consecutive nonces starting at the sender's next nonce in `state`.
   */
  reap(state: StateReader, limits: { maxTxs: number; maxBytes: number }): Candidate[] {
    const firstArrival = (queue: Entry[]) => queue.reduce((min, e) => Math.min(min, e.seq), Infinity)
    const senders = [...this.bySender.values()]
      .map((queue) => ({ queue, first: firstArrival(queue) }))
      .sort((a, b) => a.first - b.first)
      .map((s) => s.queue)
    const out: Candidate[] = []
    let bytes = 0
    for (const queue of senders) {
      let next = state.nonce(addressOf(queue[0]!.tx.sender))
      for (const entry of queue) {
        if (entry.tx.nonce !== next) break
        if (out.length >= limits.maxTxs || bytes + entry.encoded.length > limits.maxBytes) return out
        out.push(entry)
        bytes += entry.encoded.length
        next++
      }
    }
    return out
  }

  /**
   * After a block commits: forget its transactions (and remember them as committed), then drop
   * what the new state made invalid (used nonces, senders an accounts.deny or openAccounts 0 shut
   * out) and what waited longer than the TTL. Returns the hashes dropped by the re-check.
   */
  update(committedHashes: Bytes[], state: StateReader, height: number): Bytes[] {
    for (const hash of committedHashes) {
      const key = toHex(hash)
      this.committed.add(key)
      const entry = this.byHash.get(key)
      if (entry) this.remove(entry)
    }
    const dropped: Bytes[] = []
    // read once: on an open entity (the default) no sender needs a look
    const closed = state.params().openAccounts === 0
    for (const queue of [...this.bySender.values()]) {
      const sender = addressOf(queue[0]!.tx.sender)
      const next = state.nonce(sender)
      const shut = closed && !state.maySend(sender)
      for (const entry of [...queue]) {
        if (shut || entry.tx.nonce < next || height - entry.admittedAt >= this.config.ttlBlocks) {
          this.remove(entry)
          dropped.push(entry.hash)
        }
      }
    }
    return dropped
  }
}
