// Equivocation evidence: two votes by one validator for one (height, round, step) with different
// values, both correctly signed. Whoever receives evidence (e.g. in a governance proposal to
// remove the validator) checks it with verifyEvidence against the set of that height.

import { equals } from '../bytes.ts'
import { voteSigningMessage } from '../codec/objects.ts'
import type { Validator, Vote } from '../types/chain.ts'
import type { ConsensusCrypto } from './crypto.ts'
import type { Evidence } from './types.ts'

function sameValue(a: Vote, b: Vote): boolean {
  if (a.blockHash === null || b.blockHash === null) return a.blockHash === b.blockHash
  return equals(a.blockHash, b.blockHash)
}

/** True when the two votes are a real equivocation by a validator of `validators`. */
export function verifyEvidence(evidence: Evidence, validators: Validator[], crypto: ConsensusCrypto): boolean {
  const { first, second } = evidence
  if (
    first.network !== second.network ||
    !equals(first.entity, second.entity) ||
    first.height !== second.height ||
    first.round !== second.round ||
    first.step !== second.step ||
    first.validator !== second.validator ||
    sameValue(first, second)
  ) {
    return false
  }
  const validator = validators[first.validator]
  if (!validator) return false
  return (
    crypto.verifyVote(validator.publicKey, voteSigningMessage(first), first.signature) &&
    crypto.verifyVote(validator.publicKey, voteSigningMessage(second), second.signature)
  )
}
