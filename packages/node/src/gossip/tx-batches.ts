// Transactions travel in batches: those this node admits from its API are collected for a few
// milliseconds and published as one RLP list. A batch received from a peer is admitted
// transaction by transaction through the server machine (so admissions are in the frame log);
// its verdict is the worst of its transactions', and the first transaction that could never
// have been valid ends it (the rest are not even looked at: review H-4). Gossipsub never sends a
// message back to the peer it came from, and a batch from a peer is not re-batched here:
// gossipsub forwards it as it is.

import { type Bytes, type EntityMachine, type Server, ErrorCode, MAX_TX_BYTES, asBoundedBytes, asList, decodeRlp, encodeRlp, txInput } from '@p2pnode/core'
import { type Verdict, combine, verdictFor } from './verdicts.ts'

export const MAX_BATCH_TXS = 1_000
export const MAX_BATCH_BYTES = 1024 * 1024
const MAX_BATCH_MESSAGE = MAX_BATCH_BYTES + 64 * 1024

export interface TxOutcome {
  admitted: Bytes[]
  rejected: Array<{ code: string }>
}

export interface TxBatchesInit {
  server: Server
  entity: EntityMachine
  publish: (batch: Bytes) => void
  /** How long this node's own transactions are collected before a batch goes out. */
  batchMs: number
  /** A peer sent a batch it should have known was useless (gossip/useless.ts). */
  onUseless?: (peerId: string, what: string) => void
}

/**
 * Refusals that say the sender should have known better: nonces no pool would take (a gap past
 * the window), strangers' writes to an entity closed to them. A batch of nothing else is useless,
 * not an honest race.
 */
const USELESS: readonly string[] = [ErrorCode.TxNonceGap, ErrorCode.TxAccountNotAdmitted]
/**
 * Nonce gaps one batch may hold before the rest of it is not read. An honest node's batch holds
 * one only when this node lags its sender by a whole nonce window; a flood of them costs each node
 * a decode, two hashes and a lookup per transaction, so it is cut short.
 */
export const MAX_NONCE_GAPS_PER_BATCH = 8

/** Admission work done in one turn of the event loop before consensus messages get theirs. */
const SLICE_MS = 4

export class TxBatches {
  private readonly work: Array<() => void> = []
  private pumping = false
  private pending: Bytes[] = []
  private pendingBytes = 0
  private timer: NodeJS.Timeout | undefined

  private readonly server: Server
  private readonly entity: EntityMachine

  constructor(private readonly init: TxBatchesInit) {
    this.server = init.server
    this.entity = init.entity
  }

  /**
   * Admits one transaction from this node's API and resolves once it is on disk (its frame
   * sealed), so an accepted transaction survives a crash; returns its hash or the refusal code.
   */
  async submit(encoded: Bytes[], now: number): Promise<Array<{ hash: Bytes } | { code: string }>> {
    const results = encoded.map((tx): { hash: Bytes } | { code: string } => {
      const out = this.server.receive(txInput(this.entity.id, tx))[0]
      if (out?.type !== 'tx.admitted') return { code: out && 'code' in out ? out.code : 'SERVER_BAD_INPUT' }
      this.queue(tx)
      return { hash: out.hash }
    })
    await this.server.flush(now)
    return results
  }

  private queue(encoded: Bytes): void {
    this.pending.push(encoded)
    this.pendingBytes += encoded.length
    if (this.pending.length >= MAX_BATCH_TXS || this.pendingBytes >= MAX_BATCH_BYTES) return this.flush()
    this.timer ??= setTimeout(() => this.flush(), this.init.batchMs)
  }

  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.length === 0) return
    const batch = encodeRlp(this.pending)
    this.pending = []
    this.pendingBytes = 0
    this.init.publish(batch)
  }

  /**
   * receive(), queued: batches are admitted a few milliseconds of work at a time, yielding to the
   * event loop between slices, so that votes and proposals are not stuck behind a flood of
   * transactions (their processing is what block time is made of).
   */
  receiveQueued(bytes: Bytes, from = ''): Promise<Verdict> {
    return new Promise((resolve) => {
      this.work.push(() => {
        const { verdict, outcome } = this.receive(bytes)
        if (verdict === 'ignore' && from && outcome.rejected.some((r) => USELESS.includes(r.code))) {
          this.init.onUseless?.(from, `txs: ${outcome.rejected.length} refused, nonce gaps`)
        }
        resolve(verdict)
      })
      if (!this.pumping) this.pump()
    })
  }

  private pump(): void {
    this.pumping = true
    setImmediate(() => {
      const until = performance.now() + SLICE_MS
      while (this.work.length > 0 && performance.now() < until) this.work.shift()!()
      if (this.work.length > 0) this.pump()
      else this.pumping = false
    })
  }

  /** A batch from a peer: admit each transaction, and say what gossip should do with the batch. */
  receive(bytes: Bytes): { verdict: Verdict; outcome: TxOutcome } {
    let txs: Bytes[]
    try {
      const list = asList(decodeRlp(bytes, MAX_BATCH_MESSAGE, 'tx batch'), 'tx batch')
      if (list.length === 0 || list.length > MAX_BATCH_TXS) return { verdict: 'reject', outcome: { admitted: [], rejected: [{ code: 'CODEC_BAD_FIELD' }] } }
      txs = list.map((tx, i) => asBoundedBytes(tx, `tx ${i}`, MAX_TX_BYTES))
    } catch {
      return { verdict: 'reject', outcome: { admitted: [], rejected: [{ code: 'CODEC_MALFORMED' }] } }
    }
    const outcome: TxOutcome = { admitted: [], rejected: [] }
    const verdicts: Verdict[] = []
    let gaps = 0
    for (const tx of txs) {
      const out = this.server.receive(txInput(this.entity.id, tx))[0]
      if (out?.type === 'tx.admitted') {
        outcome.admitted.push(out.hash)
        verdicts.push('accept')
      } else {
        const code = out && 'code' in out ? out.code : 'SERVER_BAD_INPUT'
        outcome.rejected.push({ code })
        const verdict = verdictFor(code)
        verdicts.push(verdict)
        if (verdict === 'reject') break
        if (code === ErrorCode.TxNonceGap && ++gaps >= MAX_NONCE_GAPS_PER_BATCH) break
      }
    }
    return { verdict: combine(verdicts), outcome }
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
