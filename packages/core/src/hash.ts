import { createHash } from 'node:crypto'
import type { Bytes } from './bytes.ts'

export const HASH_LENGTH = 32

/** SHA-256, the one hash of p2pnode: block, transaction, frame and state hashes all use it. */
export function sha256(...parts: Bytes[]): Bytes {
  const h = createHash('sha256')
  for (const part of parts) h.update(part)
  return new Uint8Array(h.digest())
}
