// The invariants checked on every run, as an operator would see them from the outside:
// agreement, validity, certificates that verify, no honest double-sign (across restarts), votes
// persisted before broadcast, and liveness after GST.

import { type Bytes, toHex } from '../../../packages/core/src/bytes.ts'
import {
  type ConsensusBlock,
  computeWeights,
  type ConsensusCrypto,
  verifyCommit,
} from '../../../packages/core/src/consensus/index.ts'
import type { Commit, Validator, Vote } from '../../../packages/core/src/types/chain.ts'
import { type Genesis, GENESIS_HASH, isValidBlock, setForHeight } from './app.ts'

function valueOf(hash: Bytes | null): string {
  return hash === null ? 'nil' : toHex(hash)
}

export interface HeightRecord {
  hash: string
  round: number
  /** When the first honest node started this height. */
  startedAt: number
}

export class Invariants {
  readonly safety: string[] = []
  readonly liveness: string[] = []
  readonly heights = new Map<number, HeightRecord>()
  private readonly started = new Map<number, number>()
  private readonly signed = new Map<string, string>()
  evidence = 0
  maxRoundAfterGst = 0

  constructor(
    private readonly genesis: Genesis,
    private readonly verifier: ConsensusCrypto,
  ) {}

  private violate(what: string): void {
    if (this.safety.length < 20) this.safety.push(what)
  }

  onStart(height: number, now: number): void {
    if (!this.started.has(height)) this.started.set(height, now)
  }

  onSign(node: number, validator: Validator, vote: Vote): void {
    const key = `${toHex(validator.publicKey)}/${vote.height}/${vote.round}/${vote.step}`
    const value = valueOf(vote.blockHash)
    const before = this.signed.get(key)
    if (before !== undefined && before !== value) {
      this.violate(`double sign: node ${node} at h${vote.height} r${vote.round} step ${vote.step}: ${before} then ${value}`)
    }
    this.signed.set(key, value)
  }

  onBroadcast(node: number, vote: Vote, persisted: Vote[]): void {
    if (!persisted.includes(vote)) this.violate(`node ${node} broadcast a vote it had not persisted (h${vote.height} r${vote.round})`)
  }

  onCommit(node: number, height: number, block: ConsensusBlock, commit: Commit, chain: ConsensusBlock[]): void {
    const hash = toHex(block.hash)
    const parent = height === 1 ? GENESIS_HASH : chain[height - 2]!.hash
    if (chain.length !== height - 1) this.violate(`node ${node} committed h${height} on a chain of ${chain.length}`)
    if (!isValidBlock(block, height, parent, this.genesis)) this.violate(`validity: node ${node} committed an invalid block at h${height}`)
    const set = setForHeight(height, chain, this.genesis)
    try {
      verifyCommit(commit, block.hash, set.validators, computeWeights(set.validators, set.threshold), this.verifier)
    } catch (err) {
      this.violate(`node ${node} committed h${height} with a bad certificate: ${(err as Error).message}`)
    }
    const first = this.heights.get(height)
    if (!first) {
      this.heights.set(height, { hash, round: commit.round, startedAt: this.started.get(height) ?? 0 })
    } else if (first.hash !== hash) {
      this.violate(`agreement: h${height} committed as ${first.hash.slice(0, 12)} and ${hash.slice(0, 12)} (node ${node})`)
    }
  }

  /** Heights started after GST must be decided within `maxRounds` rounds. */
  checkRounds(gst: number, maxRounds: number): void {
    for (const [height, rec] of this.heights) {
      if (rec.startedAt < gst) continue
      this.maxRoundAfterGst = Math.max(this.maxRoundAfterGst, rec.round)
      if (rec.round > maxRounds && this.liveness.length < 20) {
        this.liveness.push(`h${height} started after GST took ${rec.round + 1} rounds (bound ${maxRounds + 1})`)
      }
    }
  }
}
