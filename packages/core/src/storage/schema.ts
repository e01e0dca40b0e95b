// The key layout of p2pnode's database. Every key starts with a one-byte prefix naming its table;
// the parts after it have fixed lengths (32-byte ids and hashes, 8-byte big-endian heights) so that
// no key of one entity is a prefix of another entity's, and heights iterate in numeric order.
//
// | prefix | table                 | key                                   | value                          |
// |--------|-----------------------|---------------------------------------|--------------------------------|
// | 0x01   | block by hash         | 0x01 | entity(32) | blockHash(32)     | encoded block                  |
// | 0x02   | height index          | 0x02 | entity(32) | u64(height)       | RLP blockHash                  |
// | 0x03   | commit                | 0x03 | entity(32) | u64(height)       | encoded commit                 |
// | 0x04   | state                 | 0x04 | entity(32) | stateKey          | value (the entity's flat state)|
// | 0x05   | head                  | 0x05 | entity(32)                     | RLP [height, blockHash, root]  |
// | 0x06   | server frame by hash  | 0x06 | frameHash(32)                  | encoded frame                  |
// | 0x07   | frame height index    | 0x07 | u64(height)                    | frameHash                      |
// | 0x08   | server root           | 0x08 | serverId(32)                   | encoded server root record     |
// | 0x09   | tx index              | 0x09 | entity(32) | txHash(32)        | RLP [height, indexInBlock]     |
// | 0x0a   | metadata              | 0x0a | utf8 name                      | value                          |
//
// Prefixes are never reused: a table that goes away keeps its byte. Metadata names in use:
// `schema-version` (RLP uint, SCHEMA_VERSION; schema-version.ts), `first-kept/<entity hex>` (RLP
// uint: the lowest height whose block and commit are still stored; absent = 1, nothing pruned),
// `mempool/<entity hex>/<tx hash hex>` and `voted/<entity hex>/<block hash hex>` (server-store.ts).

import { type Bytes, concat, toHex, u64, utf8 } from '../bytes.ts'
import { HASH_LENGTH } from '../hash.ts'

export const PREFIX_BLOCK = 0x01
export const PREFIX_HEIGHT = 0x02
export const PREFIX_COMMIT = 0x03
export const PREFIX_STATE = 0x04
export const PREFIX_HEAD = 0x05
export const PREFIX_FRAME = 0x06
export const PREFIX_FRAME_HEIGHT = 0x07
export const PREFIX_SERVER_ROOT = 0x08
export const PREFIX_TX_INDEX = 0x09
export const PREFIX_META = 0x0a

/** Entity ids, server ids and hashes in keys are all this long. */
export const ID_LENGTH = HASH_LENGTH

// Wrong lengths are programming errors, and would silently let keys of different tables or
// entities collide, so they throw rather than produce a key.
function id(bytes: Bytes, what: string): Bytes {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ID_LENGTH) {
    throw new RangeError(`${what} must be ${ID_LENGTH} bytes, got ${bytes?.length}`)
  }
  return bytes
}

function height(n: number): Bytes {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`height must be a non-negative integer, got ${n}`)
  return u64(n)
}

function key(prefix: number, ...parts: Bytes[]): Bytes {
  return concat(Uint8Array.of(prefix), ...parts)
}

export function blockKey(entity: Bytes, blockHash: Bytes): Bytes {
  return key(PREFIX_BLOCK, id(entity, 'entity'), id(blockHash, 'blockHash'))
}

export function heightKey(entity: Bytes, h: number): Bytes {
  return key(PREFIX_HEIGHT, id(entity, 'entity'), height(h))
}

export function commitKey(entity: Bytes, h: number): Bytes {
  return key(PREFIX_COMMIT, id(entity, 'entity'), height(h))
}

export function stateKey(entity: Bytes, k: Bytes): Bytes {
  return key(PREFIX_STATE, id(entity, 'entity'), k)
}

/** Length of the part of a state key before the entity's own state key. */
export const STATE_KEY_OFFSET = 1 + ID_LENGTH

/** The range of an entity's state keys, or of those starting with `prefix`. */
export function stateRange(entity: Bytes, prefix: Bytes = new Uint8Array(0)): { gte: Bytes; lt: Bytes } {
  return prefixRange(stateKey(entity, prefix))
}

export function headKey(entity: Bytes): Bytes {
  return key(PREFIX_HEAD, id(entity, 'entity'))
}

export function frameKey(frameHash: Bytes): Bytes {
  return key(PREFIX_FRAME, id(frameHash, 'frameHash'))
}

export function frameHeightKey(h: number): Bytes {
  return key(PREFIX_FRAME_HEIGHT, height(h))
}

export function serverRootKey(serverId: Bytes): Bytes {
  return key(PREFIX_SERVER_ROOT, id(serverId, 'serverId'))
}

export function txIndexKey(entity: Bytes, txHash: Bytes): Bytes {
  return key(PREFIX_TX_INDEX, id(entity, 'entity'), id(txHash, 'txHash'))
}

export function metaKey(name: string): Bytes {
  return key(PREFIX_META, utf8(name))
}

/**
 * The layout version of the database. Version 1 is the table above; pruning (the first-kept mark)
 * needs no new version, because a missing mark reads as "nothing pruned". A change that an older
 * release would misread bumps it, and a release refuses a database of a version it does not know.
 */
export const SCHEMA_VERSION = 1

export function schemaVersionKey(): Bytes {
  return metaKey('schema-version')
}

/** The lowest height of `entity` whose block and commit are stored (blocks below were pruned). */
export function firstKeptKey(entity: Bytes): Bytes {
  return metaKey(`first-kept/${toHex(id(entity, 'entity'))}`)
}

/**
 * All keys starting with `prefix`: from the prefix itself up to, not including, the prefix with
 * its last byte below 0xff incremented and the rest dropped. Every schema key starts with a
 * prefix byte below 0xff, so the upper bound always exists.
 */
export function prefixRange(prefix: Bytes): { gte: Bytes; lt: Bytes } {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const lt = prefix.slice(0, i + 1)
      lt[i] = prefix[i]! + 1
      return { gte: prefix.slice(), lt }
    }
  }
  throw new RangeError('a prefix of only 0xff bytes has no upper bound')
}
