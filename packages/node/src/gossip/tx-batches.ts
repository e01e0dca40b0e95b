// Transactions travel in batches: those this node admits from its API are collected for a few
// milliseconds and published as one RLP list. A batch received from a peer is admitted
// transaction by transaction through the server machine (so admissions are in the frame log);
// its verdict is the worst of its transactions'. Gossipsub never sends a message back to the peer
// it came from, and a batch from a peer is not re-batched here: gossipsub forwards it as it is.

import { type Bytes, type EntityMachine, type Server, MAX_TX_BYTES, asBoundedBytes, asList, decodeRlp, encodeRlp, encodeServerInput, encodeString } from '@p2pnode/core'
import { type Verdict, combine, verdictFor } from './verdicts.ts'

export const MAX_BATCH_TXS = 1_000
export const MAX_BATCH_BYTES = 1024 * 1024
const MAX_BATCH_MESSAGE = MAX_BATCH_BYTES + 64 * 1024

export interface TxOutcome {
  admitted: Bytes[]
  rejected: Array<{ code: string }>
}

/** Admission work done in one turn of the event loop before consensus messages get theirs. */
const SLICE_MS = 4

export class TxBatches {
  private readonly work: Array<() => void> = []
  private pumping = false
  private pending: Bytes[] = []
  private pendingBytes = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly server: Server,
    private readonly entity: EntityMachine,
    private readonly publish: (batch: Bytes) => void,
    private readonly batchMs: number,
  ) {}

  /**
   * Admits one transaction from this node's API and resolves once it is on disk (its frame
   * sealed), so an accepted transaction survives a crash; returns its hash or the refusal code.
   */
  async submit(encoded: Bytes[], now: number): Promise<Array<{ hash: Bytes } | { code: string }>> {
    const results = encoded.map((tx): { hash: Bytes } | { code: string } => {
      const out = this.server.receive(encodeServerInput([[this.entity.id, [encodeString('tx'), tx]]]))[0]
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
    this.timer ??= setTimeout(() => this.flush(), this.batchMs)
  }

  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.length === 0) return
    const batch = encodeRlp(this.pending)
    this.pending = []
    this.pendingBytes = 0
    this.publish(batch)
  }

  /**
   * receive(), queued: batches are admitted a few milliseconds of work at a time, yielding to the
   * event loop between slices, so that votes and proposals are not stuck behind a flood of
   * transactions (their processing is what block time is made of).
   */
  receiveQueued(bytes: Bytes): Promise<Verdict> {
    return new Promise((resolve) => {
      this.work.push(() => resolve(this.receive(bytes).verdict))
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
    for (const tx of txs) {
      const out = this.server.receive(encodeServerInput([[this.entity.id, [encodeString('tx'), tx]]]))[0]
      if (out?.type === 'tx.admitted') {
        outcome.admitted.push(out.hash)
        verdicts.push('accept')
      } else {
        const code = out && 'code' in out ? out.code : 'SERVER_BAD_INPUT'
        outcome.rejected.push({ code })
        verdicts.push(verdictFor(code))
      }
    }
    return { verdict: combine(verdicts), outcome }
  }

  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
