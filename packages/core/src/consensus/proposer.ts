// Proposer selection: a stateless weighted schedule. Lay the validators' shares (divided by their
// greatest common divisor) end to end on a circle of `total` positions (validator i owns [start_i, start_i + shares_i)). Step k, the step
// of (height, round) being k = height - 1 + round, lands on position (k * stride) mod total, and
// the owner of that position proposes. Because stride is coprime to total, any `total` consecutive
// steps visit every position exactly once: validator i proposes exactly shares_i times in them.
// Because stride is close to total / phi (the golden ratio), consecutive steps jump by about 0.618
// of the circle, so a validator's turns are spread out rather than bunched (a Weyl sequence).
//
// The cost is O(validators) to build and O(log validators) per lookup, whatever the height and
// the shares: a node that starts afresh at height 10^7 pays nothing more than one at height 1
// (the priority walk used before cost O(validators * min(height, total shares)) from scratch).
// Integer arithmetic only (BigInt where a product can pass 2^53), so every node computes the same.

import type { Validator } from '../types/chain.ts'

/** floor(2^64 / phi): total * this >> 64 is floor(total / phi), exactly, for any safe total. */
const INVERSE_PHI_Q64 = 11400714819323198485n

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/**
 * The stride for a circle of `total` positions: the integer nearest total / phi that is coprime
 * to total (searching outwards, the lower one first on a tie). A coprime number is always close:
 * gaps between integers coprime to n are small (Jacobsthal's function; under 100 for any n
 * below 2^53 that has few enough prime factors to matter here).
 */
export function scheduleStride(total: number): number {
  if (total <= 2) return 1
  const target = Number((BigInt(total) * INVERSE_PHI_Q64) >> 64n)
  for (let d = 0; ; d++) {
    for (const s of d === 0 ? [target] : [target - d, target + d]) {
      if (s >= 1 && s < total && gcd(s, total) === 1) return s
    }
  }
}

/**
 * The proposer of each (height, round) for one validator set. Kept by the engine per set, but
 * holds no per-height state: `proposer` is a pure function of the set and its arguments.
 */
export class ProposerSchedule {
  /** ends[i] = shares of validators 0..i: validator i owns positions [ends[i-1], ends[i]). */
  private readonly ends: number[]
  private readonly total: bigint
  private readonly stride: bigint

  constructor(validators: Validator[]) {
    // Shares are scaled down by their common divisor first: equal shares (of any size) then give
    // plain round robin, and proportions are all that matters to the schedule.
    let common = 0
    for (const v of validators) common = gcd(v.shares, common)
    this.ends = []
    let sum = 0
    for (const v of validators) {
      sum += v.shares / common
      this.ends.push(sum)
    }
    this.total = BigInt(sum)
    this.stride = BigInt(scheduleStride(sum))
  }

  /** The proposer of (height, round), height from 1, round from 0. */
  proposer(height: number, round: number): number {
    const step = BigInt(height - 1) + BigInt(round)
    return this.owner(Number(((step % this.total) * this.stride) % this.total))
  }

  /**
   * Whether validator `index` is the proposer of (height, r) for some round r in 0..maxRound. A
   * block proposed (or committed) at round `maxRound` may carry a header built at any earlier
   * round of its height (a re-proposed valid value keeps its header), so this is the header rule.
   */
  proposesBy(height: number, index: number, maxRound: number): boolean {
    if (index < 0 || index >= this.ends.length) return false
    // Any `total` consecutive steps visit every validator (each has at least one share).
    if (BigInt(maxRound) + 1n >= this.total) return true
    for (let r = 0; r <= maxRound; r++) if (this.proposer(height, r) === index) return true
    return false
  }

  private owner(position: number): number {
    let lo = 0
    let hi = this.ends.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.ends[mid]! > position) hi = mid
      else lo = mid + 1
    }
    return lo
  }
}

/** The proposer of (height, round), height from 1, round from 0; every node computes the same. */
export function proposerIndex(validators: Validator[], height: number, round: number): number {
  return new ProposerSchedule(validators).proposer(height, round)
}
