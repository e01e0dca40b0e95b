// The chain's tip as the targets report it over the public sync protocol (`status`), polled until
// the attack ends: heights to lie about, parents to build on.

import { blocksRequest, decodeBlocks, decodeHeader, decodeStatus, statusRequest, type Header } from '../wire.ts'
import type { AttackContext } from './context.ts'

export interface Tip {
  height: number
  headHash: Uint8Array
  /** The header of the tip block, once fetched (absent at height 0). */
  header?: Header
}

export class TipWatch {
  tip: Tip | undefined

  constructor(private readonly ctx: AttackContext) {}

  /** Polls every `everyMs`; with `headers`, also fetches each new tip's header. */
  start(everyMs: number, headers = false): void {
    void (async () => {
      while (this.ctx.running()) {
        await this.poll(headers)
        await this.ctx.sleep(everyMs)
      }
    })()
  }

  /** Resolves with a tip (with its header if `headers`), or undefined after `ms`. */
  async first(ms: number, headers = false): Promise<Tip | undefined> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline && this.ctx.running()) {
      if (this.tip && (!headers || this.tip.header)) return this.tip
      await this.poll(headers)
      if (this.tip && (!headers || this.tip.header)) return this.tip
      await this.ctx.sleep(200)
    }
    return this.tip
  }

  private async poll(headers: boolean): Promise<void> {
    const { host, syncProtocol } = this.ctx
    const answers = await Promise.allSettled(host.connected().map(async (peer) => ({ peer, status: decodeStatus(await host.syncRequest(peer, syncProtocol, statusRequest(), 2_000)) })))
    let best: { peer: string; status: { height: number; headHash: Uint8Array } } | undefined
    for (const a of answers) if (a.status === 'fulfilled' && (!best || a.value.status.height > best.status.height)) best = a.value
    if (!best || (this.tip && best.status.height <= this.tip.height && (!headers || this.tip.header))) return
    const tip: Tip = { height: best.status.height, headHash: best.status.headHash }
    if (headers && tip.height > 0) {
      try {
        const [entry] = decodeBlocks(await host.syncRequest(best.peer, syncProtocol, blocksRequest(tip.height, 1), 5_000))
        if (entry) tip.header = decodeHeader(entry.blockBytes)
      } catch {
        // asked again on the next poll
      }
    }
    if (!this.tip || tip.height > this.tip.height || (tip.height === this.tip.height && tip.header && !this.tip.header)) this.tip = tip
  }
}
