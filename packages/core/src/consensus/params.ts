// Consensus parameters: every default lives here once, beside the fast values the simulated
// network uses. Timeouts grow linearly with the round (base + delta * round) so that, once the
// network is stable, some round is long enough for every honest message to arrive.

import { MAX_BLOCK_BYTES } from '../limits.ts'
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
 * byzantine validator can make us store and check per height. Small, as in CometBFT (which takes
 * proposals of the current round only, and a couple of rounds of votes ahead per peer): honest
 * rounds run apart only while no quorum forms, and then the node that is behind catches up by
 * itself, since timeouts grow with the round and its own rounds are shorter; once within this
 * window, the votes of more than a third of the shares move it up at once (paper line 55).
 */
export const MAX_ROUNDS_AHEAD = 10

/**
 * Bytes of blocks held per height beyond those being decided now (see held-blocks.ts): proposals
 * of rounds other than the current and next are taken only within this budget. Four blocks of
 * the largest size, or 32 at the default maxBlockBytes of 1 MiB.
 */
export const MAX_HELD_BLOCK_BYTES = 4 * MAX_BLOCK_BYTES

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
