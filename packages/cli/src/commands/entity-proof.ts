// `entity show --prove`: the node's answer is not trusted. Its proof must show, against the state
// root it names, that the registry holds under the entity's key exactly the entry the node
// returned (genesis, name, creator, height), and that the genesis hashes to the id, before the
// CLI prints anything.

import { type RegistryEntry, type StateProof, decodeRegistryEntry, decodeStateProof, equals, fromHex, genesisId, isCoreError, registryEntryKey, toHex, verifyStateProof } from '@p2pnode/core'
import type { RegistryEntryProofView } from '@p2pnode/node'
import { genesisToJson } from '@p2pnode/node/home'
import { ExitCode, fail } from '../errors.ts'

/** Checks `view` for the entity asked for as `asked` (id or name); returns the proven entry, or fails (exit 1). */
export function verifyRegistryProof(view: RegistryEntryProofView, asked: string): RegistryEntry {
  const bad = (why: string): never =>
    fail(ExitCode.Failure, `the node's proof for entity ${asked} does not verify: ${why}`, 'the node may be faulty or not the one you meant to ask; do not trust its answer', 'PROOF_INVALID')
  if (view.proof === undefined) return bad('the answer carries no proof')
  let proof: StateProof
  let root: Uint8Array
  let id: Uint8Array
  try {
    proof = decodeStateProof(fromHex(view.proof))
    root = fromHex(view.stateRoot)
    id = fromHex(view.entry.id)
  } catch (err) {
    return bad(isCoreError(err) ? `${err.code}: ${err.message}` : `malformed answer: ${(err as Error).message}`)
  }
  if (!equals(proof.key, registryEntryKey(id))) bad('it proves another key')
  if (proof.value === null) bad('it shows no entry under that id')
  let entry: RegistryEntry
  try {
    entry = decodeRegistryEntry(id, proof.value!)
  } catch (err) {
    return bad(`the proven entry does not decode: ${(err as Error).message}`)
  }
  if (!equals(genesisId(entry.genesis), id)) bad('the proven genesis does not hash to the id')
  const asId = /^[0-9a-fA-F]{64}$/.test(asked)
  if (asId ? asked.toLowerCase() !== view.entry.id : entry.name !== asked) bad(`the proven entry is not the entity asked for (${asked})`)
  const same =
    entry.name === view.entry.name &&
    toHex(entry.creator) === view.entry.creator &&
    entry.height === view.entry.height &&
    JSON.stringify(genesisToJson(entry.genesis)) === JSON.stringify(view.entry.genesis)
  if (!same) bad('the entry returned differs from the proven one')
  if (!verifyStateProof(root, proof)) bad(`it does not lead to the state root ${view.stateRoot}`)
  return entry
}
