// The authenticated state of an entity: a flat map from byte keys to byte values, committed to by
// one 32-byte root. It is a compact sparse Merkle tree, as in Diem/Aptos' Jellyfish tree:
//
// - binary; the path of a key is sha256(key), most significant bit first (0 left, 1 right);
// - a leaf sits at the shallowest depth where it is alone in its subtree, so an internal node
//   never has two empty children, nor one empty child and one leaf (the leaf is lifted). The
//   shape, and so the root, depends only on the map, never on the order of inserts and deletes;
// - node hashes are in node-hash.ts; proofs, and their verifier, in proof.ts.
//
// The tree is persistent: set and delete return a new tree that shares every untouched node with
// the old one, so a block can be executed against a copy and thrown away for the cost of the
// paths it touched. Hashes are computed on demand and kept in the node, so a key set many times
// between two roots costs one path of hashing, not one per set.

import type { Bytes } from '../bytes.ts'
import {
  bitAt,
  EMPTY_HASH,
  fromByteString,
  hashBytes,
  hashInternal,
  hashLeaf,
  type NodeHash,
  toByteString,
} from './node-hash.ts'
import type { StateProof } from './proof.ts'

/** Root of the empty state: 32 zero bytes. */
export const EMPTY_STATE_ROOT: Bytes = fromByteString(EMPTY_HASH)

// Every hash, key and value below is a byte string (see node-hash.ts for why).

class Leaf {
  readonly keyHash: NodeHash
  readonly key: string
  readonly value: string
  readonly valueHash: NodeHash
  /** Memoized; writing it once does not change what the node is. */
  hash: NodeHash | undefined = undefined

  constructor(keyHash: NodeHash, key: string, value: string, valueHash: NodeHash) {
    this.keyHash = keyHash
    this.key = key
    this.value = value
    this.valueHash = valueHash
  }
}

class Internal {
  readonly left: TreeNode | null
  readonly right: TreeNode | null
  hash: NodeHash | undefined = undefined

  constructor(left: TreeNode | null, right: TreeNode | null) {
    this.left = left
    this.right = right
  }
}

type TreeNode = Leaf | Internal

/**
 * Keys and values are copied on the way in and out (callers may reuse or change their buffers
 * freely). Reads cost one sha256 of the key plus a walk of the path, about log2(size) nodes.
 */
export class StateTree {
  readonly size: number
  readonly #root: TreeNode | null

  private constructor(root: TreeNode | null, size: number) {
    this.#root = root
    this.size = size
  }

  static readonly #EMPTY = new StateTree(null, 0)

  static empty(): StateTree {
    return StateTree.#EMPTY
  }

  /**
   * Builds a tree from a whole map at once (a node reloading its state at start): sorts the
   * leaves by key hash and builds the shape top-down in one pass, without the per-insert path
   * copies. Hashing is left to the first `root()`. A key given twice keeps its last value.
   */
  static fromEntries(entries: Iterable<[Bytes, Bytes]>): StateTree {
    const input: Leaf[] = []
    for (const [key, value] of entries) input.push(newLeaf(hashBytes(key), toByteString(key), value))
    const leaves = sortByKeyHash(input)
    let unique = 0
    for (const leaf of leaves) {
      if (unique > 0 && leaves[unique - 1]!.keyHash === leaf.keyHash) leaves[unique - 1] = leaf
      else leaves[unique++] = leaf
    }
    leaves.length = unique
    return new StateTree(unique === 0 ? null : build(leaves, 0, unique, 0), unique)
  }

  get(key: Bytes): Bytes | undefined {
    const leaf = findLeaf(this.#root, hashBytes(key))
    return leaf === undefined ? undefined : fromByteString(leaf.value)
  }

  has(key: Bytes): boolean {
    return findLeaf(this.#root, hashBytes(key)) !== undefined
  }

  /** A new tree with key set to value; this very tree when the key already had that value. */
  set(key: Bytes, value: Bytes): StateTree {
    const keyHash = hashBytes(key)
    const existing = findLeaf(this.#root, keyHash)
    if (existing === undefined) {
      return new StateTree(insert(this.#root, newLeaf(keyHash, toByteString(key), value), 0), this.size + 1)
    }
    const leaf = newLeaf(keyHash, existing.key, value)
    if (leaf.value === existing.value) return this
    return new StateTree(insert(this.#root, leaf, 0), this.size)
  }

  /** A new tree without the key; this very tree when the key was absent. */
  delete(key: Bytes): StateTree {
    const root = remove(this.#root, hashBytes(key), 0)
    return root === this.#root ? this : new StateTree(root, this.size - 1)
  }

  /** The 32-byte commitment to the whole map; hashes only the nodes changed since last asked. */
  root(): Bytes {
    return fromByteString(nodeHash(this.#root))
  }

  /** Every entry, in key-hash order (callers should not rely on any order). */
  *entries(): IterableIterator<[Bytes, Bytes]> {
    const stack: TreeNode[] = this.#root === null ? [] : [this.#root]
    while (stack.length > 0) {
      const node = stack.pop()!
      if (node instanceof Leaf) {
        yield [fromByteString(node.key), fromByteString(node.value)]
      } else {
        if (node.right !== null) stack.push(node.right)
        if (node.left !== null) stack.push(node.left)
      }
    }
  }

  /** Inclusion proof when the key is present, absence proof otherwise; see proof.ts. */
  prove(key: Bytes): StateProof {
    const keyHash = hashBytes(key)
    const siblings: Bytes[] = []
    let node = this.#root
    for (let depth = 0; node instanceof Internal; depth++) {
      const right = bitAt(keyHash, depth) === 1
      siblings.push(fromByteString(nodeHash(right ? node.left : node.right)))
      node = right ? node.right : node.left
    }
    const proofKey = new Uint8Array(key)
    if (node === null) return { key: proofKey, value: null, siblings, leaf: null }
    if (node.keyHash === keyHash) {
      return { key: proofKey, value: fromByteString(node.value), siblings, leaf: null }
    }
    const leaf = { keyHash: fromByteString(node.keyHash), valueHash: fromByteString(node.valueHash) }
    return { key: proofKey, value: null, siblings, leaf }
  }
}

// The value hash is taken now, from the caller's bytes, rather than later from the byte string.
function newLeaf(keyHash: NodeHash, key: string, value: Bytes): Leaf {
  return new Leaf(keyHash, key, toByteString(value), hashBytes(value))
}

const BUCKET_BITS = 16
// Keys ground to share a 16-bit hash prefix (2^16 tries each) could crowd one bucket; past this
// size a bucket is sorted in O(k log k) instead, so the build never turns quadratic.
const INSERTION_SORT_MAX = 32

/**
 * Stable sort by key hash, so that of two equal key hashes the later entry stays later. Key
 * hashes are uniform, so a counting sort on their first 16 bits leaves buckets of a few leaves
 * each, finished by insertion sort: about 4x faster than Array.sort at a million leaves.
 */
function sortByKeyHash(input: Leaf[]): Leaf[] {
  const starts = new Uint32Array((1 << BUCKET_BITS) + 1)
  for (const leaf of input) starts[bucketOf(leaf.keyHash) + 1]!++
  for (let b = 1; b < starts.length; b++) starts[b]! += starts[b - 1]!
  const sorted = new Array<Leaf>(input.length)
  const next = starts.slice(0, -1)
  for (const leaf of input) sorted[next[bucketOf(leaf.keyHash)]!++] = leaf
  for (let b = 0; b + 1 < starts.length; b++) {
    const lo = starts[b]!
    const hi = starts[b + 1]!
    if (hi - lo <= INSERTION_SORT_MAX) insertionSort(sorted, lo, hi)
    else sorted.slice(lo, hi).sort(byKeyHash).forEach((leaf, i) => (sorted[lo + i] = leaf))
  }
  return sorted
}

function bucketOf(keyHash: NodeHash): number {
  return (keyHash.charCodeAt(0) << 8) | keyHash.charCodeAt(1)
}

// Byte strings compare by char code, which for latin1 is byte order.
function byKeyHash(a: Leaf, b: Leaf): number {
  return a.keyHash < b.keyHash ? -1 : a.keyHash > b.keyHash ? 1 : 0
}

function insertionSort(leaves: Leaf[], lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const leaf = leaves[i]!
    let j = i - 1
    while (j >= lo && leaves[j]!.keyHash > leaf.keyHash) {
      leaves[j + 1] = leaves[j]!
      j--
    }
    leaves[j + 1] = leaf
  }
}

function findLeaf(root: TreeNode | null, keyHash: NodeHash): Leaf | undefined {
  let node = root
  for (let depth = 0; node instanceof Internal; depth++) {
    node = bitAt(keyHash, depth) === 1 ? node.right : node.left
  }
  return node !== null && node.keyHash === keyHash ? node : undefined
}

function nodeHash(node: TreeNode | null): NodeHash {
  if (node === null) return EMPTY_HASH
  if (node.hash === undefined) {
    node.hash =
      node instanceof Leaf
        ? hashLeaf(node.keyHash, node.valueHash)
        : hashInternal(nodeHash(node.left), nodeHash(node.right))
  }
  return node.hash
}

/** The subtree `node` (at `depth`) with `leaf` in it, replacing a leaf of the same key. */
function insert(node: TreeNode | null, leaf: Leaf, depth: number): TreeNode {
  if (node === null) return leaf
  if (node instanceof Leaf) return node.keyHash === leaf.keyHash ? leaf : split(node, leaf, depth)
  return bitAt(leaf.keyHash, depth) === 1
    ? new Internal(node.left, insert(node.right, leaf, depth + 1))
    : new Internal(insert(node.left, leaf, depth + 1), node.right)
}

/** Two leaves that shared a subtree at `depth`: a chain of one-child nodes down to where they part. */
function split(a: Leaf, b: Leaf, depth: number): Internal {
  let d = depth
  while (bitAt(a.keyHash, d) === bitAt(b.keyHash, d)) d++
  let node = bitAt(b.keyHash, d) === 1 ? new Internal(a, b) : new Internal(b, a)
  while (d > depth) {
    d--
    node = bitAt(b.keyHash, d) === 1 ? new Internal(null, node) : new Internal(node, null)
  }
  return node
}

/** The subtree without the key; the very same node when the key is not in it. */
function remove(node: TreeNode | null, keyHash: NodeHash, depth: number): TreeNode | null {
  if (node === null) return null
  if (node instanceof Leaf) return node.keyHash === keyHash ? null : node
  const right = bitAt(keyHash, depth) === 1
  const child = right ? node.right : node.left
  const sibling = right ? node.left : node.right
  const next = remove(child, keyHash, depth + 1)
  if (next === child) return node
  // Keep the shape canonical: a leaf left alone (beside nothing) rises to take this node's place.
  // An internal sibling stays put: its subtree holds two or more keys, which still share this bit.
  if (next === null && sibling instanceof Leaf) return sibling
  if (sibling === null && (next === null || next instanceof Leaf)) return next
  return right ? new Internal(sibling, next) : new Internal(next, sibling)
}

/** Leaves [lo, hi) of a key-hash-sorted array, all sharing their first `depth` bits; hi - lo >= 1. */
function build(leaves: Leaf[], lo: number, hi: number, depth: number): TreeNode {
  if (hi - lo === 1) return leaves[lo]!
  // Sorted, so the leaves going left come first: binary search for the first going right.
  let a = lo
  let b = hi
  while (a < b) {
    const mid = (a + b) >>> 1
    if (bitAt(leaves[mid]!.keyHash, depth) === 1) b = mid
    else a = mid + 1
  }
  const left = a > lo ? build(leaves, lo, a, depth + 1) : null
  const right = a < hi ? build(leaves, a, hi, depth + 1) : null
  return new Internal(left, right)
}
