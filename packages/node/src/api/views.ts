// The JSON views the API answers with, built from core's objects: pure functions, no node state.

import { type Bytes, type RegistryEntry, addressOf, blockHash, decodeAction, decodeBlock, decodeCommit, decodeTx, fromUtf8, toHex, txHash } from '@p2pnode/core'
import type { BlockView, RegistryEntryView } from './node-api.ts'
import { genesisToJson } from '../home/genesis-json.ts'

/** A value as UTF-8 text, or null when it is not valid UTF-8. */
export function text(bytes: Bytes): string | null {
  try {
    return fromUtf8(bytes)
  } catch {
    return null
  }
}

/** A stored block with its certificate (when the node has it), as GET /blocks answers it. */
export function blockView(bytes: Bytes, commitBytes: Bytes | undefined): BlockView {
  const block = decodeBlock(bytes)
  const commit = commitBytes ? decodeCommit(commitBytes) : null
  const h = block.header
  return {
    height: h.height,
    hash: toHex(blockHash(h)),
    parentHash: toHex(h.parentHash),
    time: h.time,
    proposer: h.proposer,
    stateRoot: toHex(h.stateRoot),
    txsHash: toHex(h.txsHash),
    validatorsHash: toHex(h.validatorsHash),
    txs: block.txs.map((encoded) => {
      const tx = decodeTx(encoded)
      return { hash: toHex(txHash(encoded)), nonce: tx.nonce, kind: tx.kind, sender: toHex(tx.sender), account: toHex(addressOf(tx.sender)), payload: toHex(tx.payload) }
    }),
    commit: commit ? { round: commit.round, signers: signerIndices(commit.signers), signature: toHex(commit.signature) } : null,
  }
}

export function registryView(entry: RegistryEntry): RegistryEntryView {
  return { id: toHex(entry.id), name: entry.name, creator: toHex(entry.creator), height: entry.height, genesis: genesisToJson(entry.genesis) }
}

export function jsonAction(action: ReturnType<typeof decodeAction>): unknown {
  switch (action.type) {
    case 'validators.set':
      return { type: action.type, validators: action.validators.map((v) => ({ publicKey: toHex(v.publicKey), account: toHex(v.account), shares: v.shares })) }
    case 'entity.set':
      return { type: action.type, key: action.key, value: toHex(action.value) }
    case 'accounts.allow':
    case 'accounts.deny':
      return { type: action.type, accounts: action.accounts.map(toHex) }
    default:
      return action
  }
}

/** Indices of the set bits of a signer bitmap (its size is the validator set's of that height). */
export function signerIndices(bitmap: Bytes): number[] {
  const out: number[] = []
  for (let i = 0; i < bitmap.length * 8; i++) if ((bitmap[i >> 3]! >> (i & 7)) & 1) out.push(i)
  return out
}
