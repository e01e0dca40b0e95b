// The simulated application: what a block holds and when it is valid, and how committed blocks
// change the validator set (shares, threshold) VALIDATOR_SET_CHANGE_DELAY heights later.

import { type Bytes, equals } from '../../../packages/core/src/bytes.ts'
import { asBytes, asList, asUint, decodeRlp, encodeRlp, encodeUint } from '../../../packages/core/src/codec/rlp.ts'
import { VALIDATOR_SET_CHANGE_DELAY } from '../../../packages/core/src/consensus/index.ts'
import type { ConsensusBlock } from '../../../packages/core/src/consensus/index.ts'
import { sha256 } from '../../../packages/core/src/hash.ts'
import type { Threshold, Validator } from '../../../packages/core/src/types/chain.ts'

export const GENESIS_HASH = new Uint8Array(32)

export interface SetChange {
  shares: number[]
  /** 0/0 for "unchanged". */
  threshold: Threshold
}

export interface SimBlock {
  height: number
  round: number
  proposer: number
  parentHash: Bytes
  salt: Bytes
  /** Byzantine proposers mark some blocks invalid; honest validation rejects them. */
  invalid: boolean
  change: SetChange | null
}

export function encodeSimBlock(b: SimBlock): ConsensusBlock {
  const change = b.change
    ? [b.change.shares.map(encodeUint), [encodeUint(b.change.threshold.numerator), encodeUint(b.change.threshold.denominator)]]
    : []
  const bytes = encodeRlp([
    encodeUint(b.height),
    encodeUint(b.round),
    encodeUint(b.proposer),
    b.parentHash,
    b.salt,
    encodeUint(b.invalid ? 1 : 0),
    change,
  ])
  return { hash: sha256(bytes), bytes }
}

export function hashBlock(bytes: Bytes): Bytes {
  return sha256(bytes)
}

export function decodeSimBlock(bytes: Bytes): SimBlock {
  const f = asList(decodeRlp(bytes, 1 << 16, 'block'), 'block', 7)
  const change = asList(f[6], 'change')
  return {
    height: asUint(f[0], 'height'),
    round: asUint(f[1], 'round'),
    proposer: asUint(f[2], 'proposer'),
    parentHash: asBytes(f[3], 'parent', 32),
    salt: asBytes(f[4], 'salt'),
    invalid: asUint(f[5], 'invalid') === 1,
    change:
      change.length === 0
        ? null
        : {
            shares: asList(change[0], 'shares').map((s) => asUint(s, 'share')),
            threshold: {
              numerator: asUint(asList(change[1], 't', 2)[0], 'n'),
              denominator: asUint(asList(change[1], 't', 2)[1], 'd'),
            },
          },
  }
}

export interface Genesis {
  validators: Validator[]
  threshold: Threshold
  /** Indices of byzantine validators: a valid set change keeps them under a third of shares. */
  byzantine: Set<number>
}

/** Whether a set change is acceptable: same size, shares 1..100, byzantine under 1/3, threshold >= 2/3. */
export function validChange(change: SetChange, genesis: Genesis): boolean {
  if (change.shares.length !== genesis.validators.length) return false
  if (change.shares.some((s) => s < 1 || s > 100)) return false
  const total = change.shares.reduce((a, b) => a + b, 0)
  let byz = 0
  for (const i of genesis.byzantine) byz += change.shares[i]!
  const { numerator: n, denominator: d } = change.threshold
  if (d === 0) return 3 * byz < total
  if (n >= d || n * 3 < d * 2) return false
  // Liveness needs the honest shares above the threshold, safety needs overlap beyond the faulty.
  return (total - byz) * d > total * n && 3 * byz < total
}

/** Block validity as every honest host checks it: decodes, right height and parent, not marked bad. */
export function isValidBlock(block: ConsensusBlock, height: number, parentHash: Bytes, genesis: Genesis): boolean {
  if (!equals(hashBlock(block.bytes), block.hash)) return false
  let b: SimBlock
  try {
    b = decodeSimBlock(block.bytes)
  } catch {
    return false
  }
  if (b.height !== height || !equals(b.parentHash, parentHash) || b.invalid) return false
  return b.change === null || validChange(b.change, genesis)
}

export interface SetAtHeight {
  validators: Validator[]
  threshold: Threshold
}

/** The set governing `height`, given the committed chain (chain[i] is height i + 1). */
export function setForHeight(height: number, chain: ConsensusBlock[], genesis: Genesis): SetAtHeight {
  let validators = genesis.validators
  let threshold = genesis.threshold
  for (let h = 1; h <= height - VALIDATOR_SET_CHANGE_DELAY && h <= chain.length; h++) {
    const change = changeOf(chain[h - 1]!)
    if (!change) continue
    validators = validators.map((v, i) => ({ ...v, shares: change.shares[i]! }))
    if (change.threshold.denominator !== 0) threshold = change.threshold
  }
  return { validators, threshold }
}

const changes = new WeakMap<ConsensusBlock, SetChange | null>()

/** Committed blocks are immutable, so each one's change is decoded once. */
function changeOf(block: ConsensusBlock): SetChange | null {
  let change = changes.get(block)
  if (change === undefined) {
    change = decodeSimBlock(block.bytes).change
    changes.set(block, change)
  }
  return change
}
