// RLP for every object we encode. @ethereumjs/rlp does the encoding; decoding is our own
// (rlp-decode.ts): bounded, iterative, zero-copy and strict about the canonical form, because it
// is the first thing every byte from a peer meets.

import { RLP } from '@ethereumjs/rlp'
import { type Bytes, fromUtf8, utf8 } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'

export { MAX_RLP_DEPTH, RLP_BASE_ITEMS, RLP_BYTES_PER_ITEM, type RlpLimits, decodeRlp, maxRlpItems } from './rlp-decode.ts'

export type RlpItem = Bytes | RlpItem[]

export function encodeRlp(item: RlpItem): Bytes {
  return RLP.encode(item as Parameters<typeof RLP.encode>[0])
}

function badField(name: string, why: string): CoreError {
  return new CoreError(ErrorCode.CodecBadField, `${name}: ${why}`, { field: name })
}

export function asList(item: RlpItem | undefined, name: string, length?: number): RlpItem[] {
  if (!Array.isArray(item)) throw badField(name, 'expected a list')
  if (length !== undefined && item.length !== length) {
    throw badField(name, `expected ${length} items, got ${item.length}`)
  }
  return item
}

export function asBytes(item: RlpItem | undefined, name: string, length?: number): Bytes {
  if (!(item instanceof Uint8Array)) throw badField(name, 'expected bytes')
  if (length !== undefined && item.length !== length) {
    throw badField(name, `expected ${length} bytes, got ${item.length}`)
  }
  return item
}

/** Bytes of at most `max` length. */
export function asBoundedBytes(item: RlpItem | undefined, name: string, max: number): Bytes {
  const bytes = asBytes(item, name)
  if (bytes.length > max) throw badField(name, `longer than ${max} bytes`)
  return bytes
}

/** A hash of exactly 32 bytes, or the empty string standing for "none" (nil votes, genesis parent). */
export function asOptionalHash(item: RlpItem | undefined, name: string): Bytes | null {
  const bytes = asBytes(item, name)
  if (bytes.length === 0) return null
  if (bytes.length !== 32) throw badField(name, `expected 32 bytes or none, got ${bytes.length}`)
  return bytes
}

/** Canonical unsigned integer: big-endian, no leading zero byte, zero is the empty string. */
export function encodeUint(n: number): Bytes {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not an unsigned safe integer: ${n}`)
  if (n === 0) return new Uint8Array(0)
  const out: number[] = []
  let v = n
  while (v > 0) {
    out.unshift(v % 256)
    v = Math.floor(v / 256)
  }
  return new Uint8Array(out)
}

export function asUint(item: RlpItem | undefined, name: string): number {
  const bytes = asBytes(item, name)
  if (bytes.length > 0 && bytes[0] === 0) throw badField(name, 'integer has a leading zero')
  if (bytes.length > 7) throw badField(name, 'integer too large')
  let n = 0
  for (const b of bytes) n = n * 256 + b
  if (!Number.isSafeInteger(n)) throw badField(name, 'integer too large')
  return n
}

export function encodeString(text: string): Bytes {
  return utf8(text)
}

export function asString(item: RlpItem | undefined, name: string, maxLength: number): string {
  const bytes = asBoundedBytes(item, name, maxLength)
  try {
    return fromUtf8(bytes)
  } catch {
    throw badField(name, 'not valid UTF-8')
  }
}
