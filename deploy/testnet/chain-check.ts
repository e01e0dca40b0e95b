// What the runner knows of the chain, learnt only through the nodes' APIs: the first hash and
// state root it saw at each height (every other node must agree), each load transaction's
// count over all committed blocks (exactly once), and who signed each commit.

import type { BlockView } from '../../packages/node/src/api/node-api.ts'
import type { RunNode } from './nodes.ts'

/** The API serves at most this many blocks per range request. */
const BLOCKS_PER_REQUEST = 100

export interface Violation {
  invariant: 'peers' | 'agreement' | 'signing' | 'recovery' | 'no-progress' | 'progress' | 'transactions' | 'process'
  message: string
}

interface Seen {
  hash: string
  stateRoot: string
  from: string
  signers: number[]
}

export class ChainCheck {
  private readonly canonical = new Map<number, Seen>()
  /** Highest height verified against `canonical`, per node. */
  private readonly verified = new Map<string, number>()
  /** Transaction hash -> heights it was committed at. */
  readonly txHeights = new Map<string, number[]>()
  readonly violations: Violation[] = []

  get top(): number {
    let top = 0
    for (const h of this.canonical.keys()) top = Math.max(top, h)
    return top
  }

  /**
   * Reads the node's blocks it has not been checked for yet and compares each with what other
   * nodes served at that height. Unreachable nodes are skipped (a later call catches up).
   */
  async verify(node: RunNode): Promise<void> {
    const name = node.spec.name
    let height: number
    try {
      height = (await node.client.status()).height
    } catch {
      return
    }
    let from = (this.verified.get(name) ?? 0) + 1
    while (from <= height) {
      const to = Math.min(height, from + BLOCKS_PER_REQUEST - 1)
      let blocks: BlockView[]
      try {
        blocks = await node.client.blocks(from, to)
      } catch {
        return
      }
      if (blocks.length === 0) return
      for (const block of blocks) this.record(name, block)
      from = blocks[blocks.length - 1]!.height + 1
      this.verified.set(name, from - 1)
    }
  }

  private record(name: string, block: BlockView): void {
    const seen = this.canonical.get(block.height)
    if (seen === undefined) {
      this.canonical.set(block.height, { hash: block.hash, stateRoot: block.stateRoot, from: name, signers: block.commit?.signers ?? [] })
      for (const tx of block.txs) this.txHeights.set(tx.hash, [...(this.txHeights.get(tx.hash) ?? []), block.height])
      return
    }
    if (seen.hash !== block.hash || seen.stateRoot !== block.stateRoot) {
      this.violations.push({
        invariant: 'agreement',
        message: `height ${block.height}: ${name} has ${block.hash.slice(0, 12)} (state ${block.stateRoot.slice(0, 12)}), ${seen.from} has ${seen.hash.slice(0, 12)} (state ${seen.stateRoot.slice(0, 12)})`,
      })
    }
    // a later copy of the commit may carry more signatures than the first one seen
    if (block.commit) seen.signers = [...new Set([...seen.signers, ...block.commit.signers])]
  }

  /** Validator indices that signed a commit of a block above `height` (among the blocks read so far). */
  signersAbove(height: number): Set<number> {
    const out = new Set<number>()
    for (const [h, seen] of this.canonical) if (h > height) for (const s of seen.signers) out.add(s)
    return out
  }

  verifiedHeight(name: string): number {
    return this.verified.get(name) ?? 0
  }
}
