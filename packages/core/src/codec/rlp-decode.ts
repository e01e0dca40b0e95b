// Strict, bounded RLP decoding. Every byte that comes off the wire passes through here before any
// shape check, so a decode must cost no more than a small multiple of the bytes it is given,
// whatever they hold, and must fail only with a CoreError.
//
// - No recursion: an explicit stack of list ends, at most `maxDepth` deep.
// - No copies: strings are `subarray` views of the input, so they share its buffer (and keep it
//   alive while they live).
// - Canonical form is checked while parsing, so nothing is re-encoded afterwards: a single byte
//   below 0x80 stands for itself, a length under 56 uses the short form, a length has no leading
//   zero, and every item ends inside its parent.
// - The input is walked twice with the same parser: first to check it and count its items,
//   allocating nothing, then to build the tree. A view costs about 100 bytes of V8 heap (measured
//   on Node 20: 106 bytes per view held in an array; an empty list 42), so building while checking
//   would let 8 MiB of one-byte items cost some 100 MB before the item limit refused them. Checking
//   first means that bytes which fail cost no heap at all, and bytes which pass cost at most
//   maxItems views. Reading the headers twice is cheap beside creating the views.

import type { Bytes } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import type { RlpItem } from './rlp.ts'

/**
 * Deepest nesting of lists accepted by default (a bare string is depth 0, a list of strings 1).
 * The deepest object we encode is the server root: root > signer records > [id, record] >
 * record > votes, 5 lists. Genesis and the validators hash need 3, blocks and frames 2.
 */
export const MAX_RLP_DEPTH = 16

/** Items (strings and lists, the outermost included) accepted by default, whatever the size. */
export const RLP_BASE_ITEMS = 16

/**
 * By default one more item is accepted per this many bytes of input. At about 106 bytes of heap
 * per item, a decode then holds at most about 13 times its input (plus 16 items). The densest
 * real object is the validators list kept in state, 4,097 items in 74,756 bytes for 1,024
 * validators (one per 18.2 bytes), which is at 44% of its limit; blocks, transactions, batches,
 * frames and proposals run at one item per 19-200 bytes, and small records fit in the base.
 */
export const RLP_BYTES_PER_ITEM = 8

/** The default item limit for an input of `size` bytes. */
export function maxRlpItems(size: number): number {
  return RLP_BASE_ITEMS + Math.floor(size / RLP_BYTES_PER_ITEM)
}

export interface RlpLimits {
  /** Deepest nesting of lists; default MAX_RLP_DEPTH. */
  maxDepth?: number
  /** Most items in the whole tree, the outermost included; default maxRlpItems(bytes.length). */
  maxItems?: number
}

/**
 * Decodes exactly one canonical RLP item that fills `bytes`. Throws CoreError only:
 * CODEC_TOO_LARGE (checked before anything else), CODEC_MALFORMED (truncated, empty),
 * CODEC_NON_CANONICAL, CODEC_TRAILING_BYTES, CODEC_TOO_DEEP, CODEC_TOO_MANY_ITEMS.
 */
export function decodeRlp(bytes: Bytes, maxSize: number, what = 'value', limits: RlpLimits = {}): RlpItem {
  if (bytes.length > maxSize) {
    throw new CoreError(ErrorCode.CodecTooLarge, `${what} is ${bytes.length} bytes, limit ${maxSize}`, {
      size: bytes.length,
      maxSize,
    })
  }
  const maxDepth = limits.maxDepth ?? MAX_RLP_DEPTH
  const maxItems = limits.maxItems ?? maxRlpItems(bytes.length)
  walk(bytes, false, maxDepth, maxItems, what)
  return walk(bytes, true, maxDepth, maxItems, what)!
}

/**
 * One pass over `bytes`, checking everything. Builds and returns the tree only when `build`;
 * otherwise allocates nothing but the stack of list ends (at most maxDepth numbers).
 */
function walk(bytes: Bytes, build: boolean, maxDepth: number, maxItems: number, what: string): RlpItem | undefined {
  const size = bytes.length
  if (size === 0) throw fail(ErrorCode.CodecMalformed, what, 'is empty', 0)
  const ends: number[] = [] // where each open list ends, innermost last
  const lists: RlpItem[][] = [] // the open lists themselves, when building
  let root: RlpItem | undefined
  let items = 0
  let pos = 0
  for (;;) {
    // Invariant: pos < limit, the end of the innermost open list (or of the input).
    const limit = ends.length === 0 ? size : ends[ends.length - 1]!
    const prefix = bytes[pos]!
    let start: number
    let end: number
    let isList = false
    if (prefix < 0x80) {
      start = pos
      end = pos + 1
    } else if (prefix < 0xb8) {
      start = pos + 1
      end = start + prefix - 0x80
    } else if (prefix < 0xc0) {
      start = pos + 1 + prefix - 0xb7
      end = start + longLength(bytes, pos, start, limit, what)
    } else if (prefix < 0xf8) {
      isList = true
      start = pos + 1
      end = start + prefix - 0xc0
    } else {
      isList = true
      start = pos + 1 + prefix - 0xf7
      end = start + longLength(bytes, pos, start, limit, what)
    }
    if (end > limit) throw fail(ErrorCode.CodecMalformed, what, 'has an item that runs past its end', pos)
    if (prefix === 0x81 && bytes[start]! < 0x80) {
      throw fail(ErrorCode.CodecNonCanonical, what, 'wraps a single byte below 0x80 in a prefix', pos)
    }
    if (++items > maxItems) {
      throw new CoreError(ErrorCode.CodecTooManyItems, `${what} has more than ${maxItems} items`, { maxItems, offset: pos })
    }

    if (isList) {
      if (ends.length === maxDepth) {
        throw new CoreError(ErrorCode.CodecTooDeep, `${what} nests lists deeper than ${maxDepth}`, { maxDepth, offset: pos })
      }
      if (build) {
        const list: RlpItem[] = []
        if (lists.length === 0) root = list
        else lists[lists.length - 1]!.push(list)
        lists.push(list)
      }
      ends.push(end)
      pos = start
    } else {
      if (build) {
        const string = bytes.subarray(start, end)
        if (lists.length === 0) root = string
        else lists[lists.length - 1]!.push(string)
      }
      pos = end
    }

    // Close every list that ends here. Children never pass their parent's end, so pos meets it exactly.
    while (ends.length > 0 && pos === ends[ends.length - 1]) {
      ends.pop()
      if (build) lists.pop()
    }
    if (ends.length === 0) break
  }
  if (pos !== size) throw fail(ErrorCode.CodecTrailingBytes, what, `has ${size - pos} trailing bytes`, pos)
  return root
}

/** The payload length of a long-form prefix at `pos`, whose length bytes run up to `start`. */
function longLength(bytes: Bytes, pos: number, start: number, limit: number, what: string): number {
  if (start > limit) throw fail(ErrorCode.CodecMalformed, what, 'has a length past its end', pos)
  if (bytes[pos + 1] === 0) throw fail(ErrorCode.CodecNonCanonical, what, 'has a length with a leading zero', pos)
  let length = 0
  // Up to 8 length bytes: past 2^53 the sum loses precision, but it is then far beyond any limit.
  for (let i = pos + 1; i < start; i++) length = length * 256 + bytes[i]!
  if (length < 56) throw fail(ErrorCode.CodecNonCanonical, what, 'uses the long form for a short length', pos)
  return length
}

function fail(code: ErrorCode, what: string, why: string, offset: number): CoreError {
  return new CoreError(code, `${what} ${why} (at byte ${offset})`, { offset })
}
