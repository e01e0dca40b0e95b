// Signer bitmaps of quorum certificates: bit i (byte i >> 3, bit i & 7, least significant first)
// is validator i. The bitmap is exactly ceil(size / 8) bytes and no bit past `size` may be set,
// so every set of signers has one encoding.

import type { Bytes } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'

export function bitmapFromIndices(indices: Iterable<number>, size: number): Bytes {
  const out = new Uint8Array(Math.ceil(size / 8))
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= size) throw new RangeError(`signer index ${i} out of range 0..${size - 1}`)
    out[i >> 3]! |= 1 << (i & 7)
  }
  return out
}

export function indicesFromBitmap(bitmap: Bytes, size: number): number[] {
  if (bitmap.length !== Math.ceil(size / 8)) {
    throw new CoreError(ErrorCode.CommitBadBitmap, `bitmap is ${bitmap.length} bytes for ${size} validators`)
  }
  const out: number[] = []
  for (let i = 0; i < bitmap.length * 8; i++) {
    if ((bitmap[i >> 3]! >> (i & 7)) & 1) {
      if (i >= size) throw new CoreError(ErrorCode.CommitBadBitmap, `bit ${i} set beyond ${size} validators`)
      out.push(i)
    }
  }
  return out
}
