// Proofs that a key of the state has a value, or has none, checkable against the state root
// alone (a light client, or an operator asking the HTTP API, needs nothing else).
//
// The path of a key is the bits of sha256(key), most significant first; a proof carries the
// hashes of the subtrees that hang off that path, root first, down to where the path ends:
//   - at the key's own leaf (inclusion),
//   - at an empty subtree (absence: nothing at all has this prefix), or
//   - at another key's leaf (absence: the tree places a leaf at the shallowest depth where it is
//     alone in its subtree, so a leaf at the end of this path means no other key shares the
//     prefix; the proof names that leaf by key hash and value hash).

import type { Bytes } from '../bytes.ts'
import { asBytes, asList, decodeRlp, encodeRlp, type RlpItem } from '../codec/rlp.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { HASH_LENGTH } from '../hash.ts'
import {
  bitAt,
  EMPTY_HASH,
  hashBytes,
  hashInternal,
  hashLeaf,
  MAX_TREE_DEPTH,
  type NodeHash,
  toByteString,
} from './node-hash.ts'

/**
 * Largest encoded proof decoded by default. 256 siblings (a worst-case path) take 8.3 KiB and a
 * real path of a million keys about 0.8 KiB; the rest is key and value. A caller expecting
 * larger values passes its own limit to decodeStateProof.
 */
export const MAX_STATE_PROOF_BYTES = 16 * 1024
export const MAX_PROOF_SIBLINGS = MAX_TREE_DEPTH

export interface StateProof {
  key: Bytes
  /** The key's value for an inclusion proof; null for an absence proof. */
  value: Bytes | null
  /**
   * Hashes of the siblings along the key's path, ROOT FIRST: siblings[i] is the subtree at
   * depth i + 1 on the other side of bit i of sha256(key). The path ends at depth
   * siblings.length.
   */
  siblings: Bytes[]
  /**
   * Absence proofs only: the other key's leaf found at the end of the path, or null when the
   * path ends in an empty subtree. Always null in an inclusion proof.
   */
  leaf: { keyHash: Bytes; valueHash: Bytes } | null
}

/**
 * True when `proof` shows, against `root`, that its key has `proof.value` (value not null) or
 * is absent (value null). Never throws: a malformed proof is simply false.
 */
export function verifyStateProof(root: Bytes, proof: StateProof): boolean {
  const { siblings, leaf } = proof
  if (root.length !== HASH_LENGTH || siblings.length > MAX_PROOF_SIBLINGS) return false
  for (const sibling of siblings) if (sibling.length !== HASH_LENGTH) return false

  const keyHash = hashBytes(proof.key)
  let hash: NodeHash
  if (proof.value !== null) {
    if (leaf !== null) return false
    hash = hashLeaf(keyHash, hashBytes(proof.value))
  } else if (leaf === null) {
    hash = EMPTY_HASH
  } else {
    if (leaf.keyHash.length !== HASH_LENGTH || leaf.valueHash.length !== HASH_LENGTH) return false
    const leafKeyHash = toByteString(leaf.keyHash)
    // The same key hash would be the key itself, present; a leaf off the path proves nothing.
    if (leafKeyHash === keyHash || !sharesPrefix(leafKeyHash, keyHash, siblings.length)) return false
    hash = hashLeaf(leafKeyHash, toByteString(leaf.valueHash))
  }

  for (let depth = siblings.length - 1; depth >= 0; depth--) {
    const sibling = toByteString(siblings[depth]!)
    hash = bitAt(keyHash, depth) === 1 ? hashInternal(sibling, hash) : hashInternal(hash, sibling)
  }
  return hash === toByteString(root)
}

function sharesPrefix(a: NodeHash, b: NodeHash, bits: number): boolean {
  for (let depth = 0; depth < bits; depth++) if (bitAt(a, depth) !== bitAt(b, depth)) return false
  return true
}

// Wire form: RLP [key, [value] or [], [sibling...], [keyHash, valueHash] or []].
// Optional parts are lists so that an empty value stays distinct from "no value".

export function encodeStateProof(proof: StateProof): Bytes {
  const item: RlpItem = [
    proof.key,
    proof.value === null ? [] : [proof.value],
    proof.siblings,
    proof.leaf === null ? [] : [proof.leaf.keyHash, proof.leaf.valueHash],
  ]
  return encodeRlp(item)
}

/** Strict decoding: size checked first, canonical RLP only, every field of the right shape. */
export function decodeStateProof(bytes: Bytes, maxSize = MAX_STATE_PROOF_BYTES): StateProof {
  const fields = asList(decodeRlp(bytes, maxSize, 'state proof'), 'proof', 4)
  const key = asBytes(fields[0], 'proof.key')

  const valueField = asList(fields[1], 'proof.value')
  if (valueField.length > 1) throw badField('proof.value', 'expected zero or one item')
  const value = valueField.length === 1 ? asBytes(valueField[0], 'proof.value') : null

  const siblingsField = asList(fields[2], 'proof.siblings')
  if (siblingsField.length > MAX_PROOF_SIBLINGS) {
    throw badField('proof.siblings', `more than ${MAX_PROOF_SIBLINGS} siblings`)
  }
  const siblings = siblingsField.map((s, i) => asBytes(s, `proof.siblings[${i}]`, HASH_LENGTH))

  const leafField = asList(fields[3], 'proof.leaf')
  let leaf: StateProof['leaf'] = null
  if (leafField.length !== 0) {
    const [keyHash, valueHash] = asList(leafField, 'proof.leaf', 2)
    leaf = {
      keyHash: asBytes(keyHash, 'proof.leaf.keyHash', HASH_LENGTH),
      valueHash: asBytes(valueHash, 'proof.leaf.valueHash', HASH_LENGTH),
    }
  }
  if (value !== null && leaf !== null) {
    throw badField('proof.leaf', 'an inclusion proof carries no other leaf')
  }
  return { key, value, siblings, leaf }
}

function badField(field: string, why: string): CoreError {
  return new CoreError(ErrorCode.CodecBadField, `${field}: ${why}`, { field })
}
