// Checking a quorum certificate: the cheap structural checks first, then one fast-aggregate-verify
// over the signers' keys, since every signer signed the same precommit.

import { type Bytes, equals } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { indicesFromBitmap } from '../codec/bitmap.ts'
import { voteSigningMessage } from '../codec/objects.ts'
import { fastAggregateVerifyBls } from '../crypto/bls.ts'
import { SignatureKind } from '../crypto/domain.ts'
import { type Commit, type Threshold, type Validator, VoteStep } from '../types/chain.ts'
import { hasQuorum, totalShares } from '../machines/entity-state.ts'

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
  if (commit.height !== ctx.height || !equals(commit.blockHash, ctx.blockHash)) {
    throw new CoreError(ErrorCode.CommitWrongBlock, `commit is for height ${commit.height}, not block ${ctx.height}`)
  }
  const signers = indicesFromBitmap(commit.signers, ctx.validators.length)
  let shares = 0
  for (const i of signers) shares += ctx.validators[i]!.shares
  if (!hasQuorum(shares, totalShares(ctx.validators), ctx.threshold)) {
    throw new CoreError(ErrorCode.CommitNoQuorum, `signers hold ${shares} shares, not a quorum`, { shares })
  }
  const message = voteSigningMessage({
    height: commit.height,
    round: commit.round,
    step: VoteStep.Precommit,
    blockHash: commit.blockHash,
  })
  const domain = { network: ctx.network, entity: ctx.entity, kind: SignatureKind.Vote }
  const keys = signers.map((i) => ctx.validators[i]!.publicKey)
  if (!fastAggregateVerifyBls(keys, domain, message, commit.signature)) {
    throw new CoreError(ErrorCode.CommitBadSignature, 'aggregate signature does not verify')
  }
  return signers
}
