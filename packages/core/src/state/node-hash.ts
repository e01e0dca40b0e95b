// The hashes of the state tree's nodes, shared by the tree that builds them and the proof
// verifier that recomputes them, so the two can never drift apart.
//
//   empty subtree  32 zero bytes
//   leaf           sha256(0x00 || keyHash || sha256(value))      keyHash = sha256(key)
//   internal       sha256(0x01 || left || right)
//
// The 0x00 / 0x01 prefixes keep a leaf from ever being read as an internal node (and the other
// way round); a 65-byte preimage never hashes to all zeros, so "empty" cannot be faked either.
//
// Inside the tree a hash, key or value is held as a "byte string": a latin1 string with one
// character per byte. A million-key tree holds millions of hashes, and measured on Node 20 a
// 32-byte Uint8Array costs ~250 bytes of heap and a digest Buffer an off-heap allocation each,
// while a 32-character string costs ~45 bytes, compares with ===, sorts natively, and comes
// straight out of the hash function (about 2.5x faster than asking for a Buffer). Strings are
// also immutable, so the persistent tree needs no defensive copies. Bit access stays O(1):
// charCodeAt of the byte, then a shift. Bytes are converted at the tree's public edge only.

import * as crypto from 'node:crypto'
import type { Bytes } from '../bytes.ts'
import { HASH_LENGTH } from '../hash.ts'

/** A 32-byte SHA-256 hash as a 32-character byte string. */
export type NodeHash = string

/** Hash of an empty subtree, and so the root of an empty tree. */
export const EMPTY_HASH: NodeHash = '\0'.repeat(HASH_LENGTH)

/** Key hashes have 256 bits, so no path through the tree is longer than this. */
export const MAX_TREE_DEPTH = HASH_LENGTH * 8

const LEAF_PREFIX = 0x00
const INTERNAL_PREFIX = 0x01

// crypto.hash is Node >= 20.12; the fallback gives the same bytes, a little slower.
// 'binary' is Node's name for latin1.
// Read once: each property read of a module namespace is a getter call.
const oneShot = crypto.hash as typeof crypto.hash | undefined
const digest: (data: Bytes) => NodeHash =
  oneShot !== undefined
    ? (data) => oneShot('sha256', data, 'binary')
    : (data) => crypto.createHash('sha256').update(data).digest('binary')

// Synchronous use only, so one preimage buffer serves every node hash.
const scratch = new Uint8Array(1 + 2 * HASH_LENGTH)

/** sha256 of a key (its path) or of a value. */
export function hashBytes(bytes: Bytes): NodeHash {
  return digest(bytes)
}

export function hashLeaf(keyHash: NodeHash, valueHash: NodeHash): NodeHash {
  return hashPair(LEAF_PREFIX, keyHash, valueHash)
}

export function hashInternal(left: NodeHash, right: NodeHash): NodeHash {
  return hashPair(INTERNAL_PREFIX, left, right)
}

function hashPair(prefix: number, a: NodeHash, b: NodeHash): NodeHash {
  scratch[0] = prefix
  for (let i = 0; i < HASH_LENGTH; i++) {
    scratch[1 + i] = a.charCodeAt(i)
    scratch[1 + HASH_LENGTH + i] = b.charCodeAt(i)
  }
  return digest(scratch)
}

/** Bit `depth` of a key hash, most significant bit of byte 0 first: 0 goes left, 1 goes right. */
export function bitAt(keyHash: NodeHash, depth: number): number {
  return (keyHash.charCodeAt(depth >> 3) >> (7 - (depth & 7))) & 1
}

// Below this length a JS loop beats a trip into native code; above it, Buffer's latin1 codec wins.
const SHORT_BYTES = 48

export function toByteString(bytes: Bytes): string {
  if (bytes.length <= SHORT_BYTES) return String.fromCharCode.apply(null, bytes as unknown as number[])
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/** A fresh, plain Uint8Array (never a Buffer, never shared). */
export function fromByteString(text: string): Bytes {
  if (text.length > SHORT_BYTES) return new Uint8Array(Buffer.from(text, 'latin1'))
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i)
  return out
}
