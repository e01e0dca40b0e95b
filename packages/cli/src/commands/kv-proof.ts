// `kv get --prove`: the node's answer is not trusted. Its proof must show, against the state
// root it names, that the asked key has exactly the value it returned (or none), before the
// CLI prints anything.

import { type Bytes, type StateProof, decodeStateProof, equals, fromHex, isCoreError, kvKeyFromPath, verifyStateProof } from '@p2pnode/core'
import type { KvView } from '@p2pnode/node'
import { ExitCode, fail } from '../errors.ts'

/**
 * Checks `view.proof` against `view.stateRoot` for `view.key` and `view.value`; returns the
 * decoded proof, or fails (exit 1) saying which part does not hold.
 */
export function verifyKvProof(view: KvView): StateProof {
  const bad = (why: string): never =>
    fail(ExitCode.Failure, `the node's proof for ${view.key} does not verify: ${why}`, 'the node may be faulty or not the one you meant to ask; do not trust its answer', 'PROOF_INVALID')
  if (view.proof === undefined) return bad('the answer carries no proof')
  let proof: StateProof
  let root: Bytes
  let value: Bytes | null
  try {
    proof = decodeStateProof(fromHex(view.proof))
    root = fromHex(view.stateRoot)
    value = view.value === null ? null : fromHex(view.value)
  } catch (err) {
    return bad(isCoreError(err) ? `${err.code}: ${err.message}` : `malformed answer: ${(err as Error).message}`)
  }
  if (!equals(proof.key, kvKeyFromPath(view.key))) bad('it proves another key')
  if (value === null ? proof.value !== null : proof.value === null || !equals(proof.value, value)) {
    bad(value === null ? 'the node says the key is absent, the proof shows a value' : 'the proven value differs from the value returned')
  }
  if (!verifyStateProof(root, proof)) bad(`it does not lead to the state root ${view.stateRoot}`)
  return proof
}
