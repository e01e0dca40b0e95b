// ConsensusCrypto over BLS12-381 (crypto/bls.ts), the implementation a node runs. Verification
// never throws: a key or signature that does not parse simply fails to verify, so one bad
// message cannot stop the engine.

import type { Bytes } from '../bytes.ts'
import { aggregateBlsSignatures, fastAggregateVerifyBls, signBls, verifyBls } from '../crypto/bls.ts'
import { type SigningDomain, SignatureKind } from '../crypto/domain.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import type { ConsensusCrypto } from './crypto.ts'

export interface BlsCryptoInit {
  network: string
  entity: Bytes
  /** This node's BLS secret key; omit for a node that only follows (it can verify, not sign). */
  secretKey?: Bytes
}

export function createBlsConsensusCrypto(init: BlsCryptoInit): ConsensusCrypto {
  const vote: SigningDomain = { network: init.network, entity: init.entity, kind: SignatureKind.Vote }
  const proposal: SigningDomain = { network: init.network, entity: init.entity, kind: SignatureKind.Proposal }
  const secret = (): Bytes => {
    if (!init.secretKey) throw new CoreError(ErrorCode.CryptoBadKey, 'this node holds no validator key')
    return init.secretKey
  }
  return {
    signVote: (message) => signBls(secret(), vote, message),
    verifyVote: (publicKey, message, signature) => safely(() => verifyBls(publicKey, vote, message, signature)),
    signProposal: (message) => signBls(secret(), proposal, message),
    verifyProposal: (publicKey, message, signature) =>
      safely(() => verifyBls(publicKey, proposal, message, signature)),
    aggregate: (signatures) => aggregateBlsSignatures(signatures),
    verifyCommit: (publicKeys, message, signature) =>
      safely(() => fastAggregateVerifyBls(publicKeys, vote, message, signature)),
  }
}

function safely(check: () => boolean): boolean {
  try {
    return check()
  } catch {
    return false
  }
}
