// Proposer selection: Tendermint's weighted round robin by priorities. Each step every validator's
// priority grows by its shares, the highest priority proposes (ties to the lower index) and pays
// back the total. Started from all-zero priorities this visits validator i exactly shares_i times
// in every `total` steps and then returns to all zeros, so the proposer of (height, round) is a
// function of the set alone: step number (height - 1 + round) mod total. Integer arithmetic only.

import type { Validator } from '../types/chain.ts'

/** Priorities after `steps` steps from zero, and the proposer chosen by the last of them. */
function advance(shares: number[], total: number, priorities: number[], steps: number): number {
  let chosen = -1
  for (let s = 0; s < steps; s++) {
    let best = 0
    for (let i = 0; i < shares.length; i++) {
      priorities[i]! += shares[i]!
      if (priorities[i]! > priorities[best]!) best = i
    }
    priorities[best]! -= total
    chosen = best
  }
  return chosen
}

/**
 * The proposer of each round for one validator set, with the priorities at the start of the
 * current height cached: a new height of the same set costs one step, a new round `round` steps.
 * Cost from scratch is O(validators * min(height, total shares)).
 */
export class ProposerSchedule {
  private readonly shares: number[]
  private readonly total: number
  private height = -1
  private base: number[] = []
  private readonly byRound = new Map<number, number>()

  constructor(validators: Validator[]) {
    this.shares = validators.map((v) => v.shares)
    this.total = this.shares.reduce((a, b) => a + b, 0)
  }

  proposer(height: number, round: number): number {
    if (height !== this.height) this.moveTo(height)
    const cached = this.byRound.get(round)
    if (cached !== undefined) return cached
    const priorities = this.base.slice()
    // Step (height - 1 + round) is the last one taken; base holds the state before height's own step.
    const chosen = advance(this.shares, this.total, priorities, (round % this.total) + 1)
    if (this.byRound.size > 64) this.byRound.clear()
    this.byRound.set(round, chosen)
    return chosen
  }

  private moveTo(height: number): void {
    const steps = (height - 1) % this.total
    if (height === this.height + 1 && this.height >= 1) {
      advance(this.shares, this.total, this.base, 1)
      if (steps === 0) this.base.fill(0)
    } else {
      this.base = new Array<number>(this.shares.length).fill(0)
      advance(this.shares, this.total, this.base, steps)
    }
    this.height = height
    this.byRound.clear()
  }
}

/** The proposer of (height, round), height from 1, round from 0; every node computes the same. */
export function proposerIndex(validators: Validator[], height: number, round: number): number {
  return new ProposerSchedule(validators).proposer(height, round)
}
