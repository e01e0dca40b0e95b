// The manifest's transaction load: counter-add transactions signed by the load's own accounts
// (one nonce sequence each), sent in batches to the nodes that are up, round robin, at the
// manifest's rate. A client of a real network resubmits what did not make it: a transaction
// refused, sent to a node that went down, or accepted but not committed after a while is sent
// again to another node. Resubmitting is safe (same nonce); whether each transaction then ends
// up committed exactly once is for the chain check to say.

import { AccountSigner, TxKind, encodeCounterAdd, encodeTx, fromHex, sha256, toHex, txHash, u64, utf8 } from '@p2pnode/core'
import type { Client } from '../../packages/node/src/api/client.ts'
import type { LoadSpec } from './manifest.ts'
import { sleep } from './wait.ts'

const SEND_EVERY_MS = 200
/** Most transactions one send puts in flight (the API takes at most 1,000 per batch). */
const MAX_PER_SEND = 1_000
/** An accepted transaction not committed after this long is sent again, to another node. */
const RESUBMIT_AFTER_MS = 8_000
/** Refusals that mean the network already has this transaction (or a committed one at its nonce). */
const ALREADY_KNOWN = new Set(['MEMPOOL_DUPLICATE', 'MEMPOOL_ALREADY_COMMITTED', 'TX_NONCE_TOO_LOW'])

interface LoadTx {
  bytes: Uint8Array
  hash: string
  /** When it was last accepted by a node; undefined while it still has to be sent. */
  acceptedAt: number | undefined
}

export interface LoadStats {
  made: number
  sends: number
  resubmits: number
  refusals: Record<string, number>
}

export class Load {
  private readonly txs: LoadTx[] = []
  private sent = 0
  private stopped = false
  private next = 0
  readonly stats: LoadStats = { made: 0, sends: 0, resubmits: 0, refusals: {} }

  constructor(
    private readonly spec: LoadSpec,
    network: string,
    entityHex: string,
    /** Clients of the nodes up now (re-read at every send). */
    private readonly targets: () => Client[],
    /** True once the chain check has seen the transaction in a block. */
    private readonly committed: (hash: string) => boolean,
  ) {
    const entity = fromHex(entityHex)
    const accounts = Array.from({ length: spec.accounts }, (_, i) => new AccountSigner(sha256(u64(i), utf8(`testnet-load/${network}`))))
    const nonces = accounts.map(() => 0)
    const count = Math.round(spec.rate * spec.durationSeconds)
    for (let i = 0; i < count; i++) {
      const a = i % accounts.length
      const bytes = encodeTx(accounts[a]!.signTransaction({ network, entity, nonce: nonces[a]!++, kind: TxKind.CounterAdd, payload: encodeCounterAdd(1) }))
      this.txs.push({ bytes, hash: toHex(txHash(bytes)), acceptedAt: undefined })
    }
    this.stats.made = count
  }

  get hashes(): string[] {
    return this.txs.map((t) => t.hash)
  }

  /** Sends at the manifest's rate until every transaction is out, then keeps resubmitting until stop(). */
  async run(): Promise<void> {
    const started = Date.now()
    while (!this.stopped) {
      this.sent = Math.min(this.txs.length, Math.floor(((Date.now() - started) / 1000) * this.spec.rate))
      const now = Date.now()
      const due = this.txs.slice(0, this.sent).filter((t) => !this.committed(t.hash) && (t.acceptedAt === undefined || now - t.acceptedAt > RESUBMIT_AFTER_MS))
      if (due.length > 0) await this.send(due.slice(0, MAX_PER_SEND))
      await sleep(SEND_EVERY_MS)
    }
  }

  stop(): void {
    this.stopped = true
  }

  /** Everything made has been sent at least once. */
  get allSent(): boolean {
    return this.sent >= this.txs.length
  }

  private async send(due: LoadTx[]): Promise<void> {
    const clients = this.targets()
    if (clients.length === 0) return
    const batches: LoadTx[][] = clients.map(() => [])
    // rotate the starting node, so that a resubmitted transaction goes to another node
    for (const [i, tx] of due.entries()) batches[(i + this.next) % clients.length]!.push(tx)
    this.next++
    await Promise.all(
      batches.map(async (batch, n) => {
        if (batch.length === 0) return
        for (const tx of batch) if (tx.acceptedAt !== undefined) this.stats.resubmits++
        this.stats.sends += batch.length
        try {
          const results = await clients[n]!.submitTransactions(batch.map((t) => t.bytes))
          const now = Date.now()
          for (const [i, r] of results.entries()) {
            if ('hash' in r || ALREADY_KNOWN.has(r.error.code)) batch[i]!.acceptedAt = now
            else this.stats.refusals[r.error.code] = (this.stats.refusals[r.error.code] ?? 0) + 1
          }
        } catch (err) {
          const code = (err as { code?: string }).code ?? 'ERROR'
          this.stats.refusals[code] = (this.stats.refusals[code] ?? 0) + batch.length
        }
      }),
    )
  }
}
