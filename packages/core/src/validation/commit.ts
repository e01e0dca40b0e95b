// Checking a quorum certificate of a committed block against the validator set of its height.
// The check itself is consensus's (consensus/commit.ts: bitmap, shares, one fast-aggregate-verify);
// this adds the height and wires in the BLS implementation, for blocks that arrive with their
// commit (sync, commit gossip, a follower's import).

import { type Bytes } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { indicesFromBitmap } from '../codec/bitmap.ts'
import type { Commit, Threshold, Validator } from '../types/chain.ts'
import { createBlsConsensusCrypto } from '../consensus/bls-crypto.ts'
import { verifyCommit as verifyWithCrypto } from '../consensus/commit.ts'
import { computeWeights } from '../consensus/weights.ts'

export interface CommitContext {
  network: string
  entity: Bytes
  height: number
  blockHash: Bytes
  validators: Validator[]
  threshold: Threshold
}

/** Returns the indices of the signers; throws a Commit* CoreError when the certificate does not hold. */
export function verifyCommit(commit: Commit, ctx: CommitContext): number[] {
  if (commit.height !== ctx.height) {
    throw new CoreError(ErrorCode.CommitWrongBlock, `commit is for height ${commit.height}, not ${ctx.height}`)
  }
  const crypto = createBlsConsensusCrypto({ network: ctx.network, entity: ctx.entity })
  verifyWithCrypto(commit, ctx.blockHash, ctx.validators, computeWeights(ctx.validators, ctx.threshold), crypto)
  return indicesFromBitmap(commit.signers, ctx.validators.length)
}
