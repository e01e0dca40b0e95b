// Weighted thresholds. Every count in consensus is of voting shares, never of heads. The share
// counts needed are computed once per height, in BigInt so that large share totals cannot lose
// precision in `total * numerator`.

import { CoreError, ErrorCode } from '../errors.ts'
import type { Threshold, Validator } from '../types/chain.ts'
import { MAX_VALIDATORS } from '../limits.ts'
import { SKIP_FRACTION } from './params.ts'

export interface Weights {
  /** Shares of each validator, by index. */
  shares: number[]
  total: number
  /** Smallest share count strictly above threshold * total: a quorum (the paper's 2f + 1). */
  quorum: number
  /** Smallest share count strictly above a third of the total (the paper's f + 1). */
  skip: number
}

/** Throws GenesisInvalid for an empty or oversized set, a bad share count or a threshold below 2/3. */
export function computeWeights(validators: Validator[], threshold: Threshold): Weights {
  if (validators.length === 0 || validators.length > MAX_VALIDATORS) {
    throw new CoreError(ErrorCode.GenesisInvalid, `validator set of ${validators.length}`, {
      field: 'validators',
    })
  }
  const { numerator, denominator } = threshold
  if (
    !Number.isSafeInteger(numerator) ||
    !Number.isSafeInteger(denominator) ||
    denominator <= 0 ||
    numerator >= denominator ||
    numerator * 3 < denominator * 2
  ) {
    throw new CoreError(ErrorCode.GenesisInvalid, `threshold ${numerator}/${denominator} is below 2/3 or not below 1`, {
      field: 'threshold',
    })
  }
  const shares = validators.map((v) => v.shares)
  let total = 0
  for (const s of shares) {
    if (!Number.isSafeInteger(s) || s <= 0) {
      throw new CoreError(ErrorCode.GenesisInvalid, `validator shares ${s} not a positive integer`, {
        field: 'shares',
      })
    }
    total += s
  }
  if (!Number.isSafeInteger(total)) {
    throw new CoreError(ErrorCode.GenesisInvalid, 'total shares too large', { field: 'shares' })
  }
  return {
    shares,
    total,
    quorum: strictlyAbove(total, threshold),
    skip: strictlyAbove(total, SKIP_FRACTION),
  }
}

/** The smallest share count strictly above `fraction` of `total`. */
export function strictlyAbove(total: number, fraction: Threshold): number {
  return Number((BigInt(total) * BigInt(fraction.numerator)) / BigInt(fraction.denominator)) + 1
}
