// Quorum certificates: the precommits for one block at one round, folded into one aggregate
// signature and a signer bitmap, so that a follower checks a whole block with one
// fast-aggregate-verify.

import { type Bytes, equals } from '../bytes.ts'
import { bitmapFromIndices, indicesFromBitmap } from '../codec/bitmap.ts'
import { voteSigningMessage } from '../codec/objects.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { type Commit, type Validator, type Vote, VoteStep } from '../types/chain.ts'
import type { ConsensusCrypto } from './crypto.ts'
import type { Weights } from './weights.ts'

/** Builds the commit from precommits that all name `blockHash` at `round`. */
export function buildCommit(
  height: number,
  round: number,
  blockHash: Bytes,
  precommits: Vote[],
  size: number,
  crypto: ConsensusCrypto,
): Commit {
  const sorted = precommits.slice().sort((a, b) => a.validator - b.validator)
  return {
    height,
    round,
    blockHash,
    signers: bitmapFromIndices(
      sorted.map((v) => v.validator),
      size,
    ),
    signature: crypto.aggregate(sorted.map((v) => v.signature)),
  }
}

/**
 * Checks a commit against the validator set of its height: well-formed bitmap, signers holding a
 * quorum of shares, one aggregate verify. Throws CoreError with a Commit* code on failure.
 */
export function verifyCommit(
  commit: Commit,
  blockHash: Bytes,
  validators: Validator[],
  weights: Weights,
  crypto: ConsensusCrypto,
): void {
  if (!equals(commit.blockHash, blockHash)) {
    throw new CoreError(ErrorCode.CommitWrongBlock, 'commit is for another block')
  }
  const signers = indicesFromBitmap(commit.signers, validators.length)
  let shares = 0
  for (const i of signers) shares += weights.shares[i]!
  if (shares < weights.quorum) {
    throw new CoreError(ErrorCode.CommitNoQuorum, `signers hold ${shares} of ${weights.quorum} needed shares`, {
      shares,
      quorum: weights.quorum,
    })
  }
  const message = voteSigningMessage({
    height: commit.height,
    round: commit.round,
    step: VoteStep.Precommit,
    blockHash: commit.blockHash,
  })
  const keys = signers.map((i) => validators[i]!.publicKey)
  if (!crypto.verifyCommit(keys, message, commit.signature)) {
    throw new CoreError(ErrorCode.CommitBadSignature, 'aggregate signature does not verify')
  }
}
