// Consensus parameters: every default lives here once, beside the fast values the simulated
// network uses. Timeouts grow linearly with the round (base + delta * round) so that, once the
// network is stable, some round is long enough for every honest message to arrive.

import type { Threshold } from '../types/chain.ts'

/**
 * A validator-set or threshold change executed by the block at height h governs heights h + 2
 * onwards. Two, not one: when a node commits h it already knows the set of h + 1 (fixed by h - 1),
 * so it can start h + 1 at once and validate h + 1's proposal without waiting for h to execute.
 */
export const VALIDATOR_SET_CHANGE_DELAY = 2

/** A quorum is strictly more than two thirds of all shares unless an entity asks for more. */
export const DEFAULT_THRESHOLD: Threshold = { numerator: 2, denominator: 3 }

/** Round skipping (paper line 55) needs votes from more than this fraction of shares. */
export const SKIP_FRACTION: Threshold = { numerator: 1, denominator: 3 }

/**
 * Votes and proposals for rounds further ahead of ours than this are dropped, which caps what a
 * byzantine validator can make us store per height. It is generous: honest rounds only run far
 * ahead of each other while no quorum can form, and timeouts grow with the round.
 */
export const MAX_ROUNDS_AHEAD = 1_000

/**
 * How far ahead of a validator's own clock a proposed block's time may be. Checked only when a
 * proposal is validated (validation/block.ts checkTime), never when a committed block is applied:
 * its certificate shows that honest validators checked it against their clocks. Without a bound a
 * proposer could set the time to year 2100, and every later block would have to follow it.
 */
export const MAX_CLOCK_DRIFT_MS = 10_000

export interface LinearTimeout {
  baseMs: number
  deltaMs: number
}

export interface TimeoutParams {
  propose: LinearTimeout
  prevote: LinearTimeout
  precommit: LinearTimeout
}

/** For a LAN with a 100 ms block target: round 0 waits up to a second for the proposal. */
export const DEFAULT_TIMEOUTS: TimeoutParams = {
  propose: { baseMs: 1_000, deltaMs: 500 },
  prevote: { baseMs: 500, deltaMs: 250 },
  precommit: { baseMs: 500, deltaMs: 250 },
}

/** For simulated networks whose delays are a few to a few tens of milliseconds. */
export const TEST_TIMEOUTS: TimeoutParams = {
  propose: { baseMs: 60, deltaMs: 20 },
  prevote: { baseMs: 30, deltaMs: 10 },
  precommit: { baseMs: 30, deltaMs: 10 },
}

export function timeoutMs(timeout: LinearTimeout, round: number): number {
  return timeout.baseMs + timeout.deltaMs * round
}
