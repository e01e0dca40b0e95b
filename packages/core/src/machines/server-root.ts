// The server root, stored under the server id with every frame: where the log stands (height,
// frame hash), the state hash it must reproduce, the server's own counter, each validator
// signer's record of what it signed, and the genesis of every entity the node joined at run time
// (Server.host): a restart opens those again before it checks the state hash, so the set of
// hosted entities is as durable as the frames, and changes only with one.
//
//   [height, frameHash, stateHash, counter, [[signer id, record]...]]            nothing joined
//   [height, frameHash, stateHash, counter, [[signer id, record]...], [genesis...]]

import type { Bytes } from '../bytes.ts'
import { type RlpItem, asBytes, asList, asUint, decodeRlp, encodeRlp, encodeUint } from '../codec/rlp.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { MAX_FRAME_BYTES } from '../limits.ts'

export interface ServerRoot {
  height: number
  frameHash: Bytes
  stateHash: Bytes
  counter: number
  /** Validator signers' records, by signer id, in id order. */
  records: Array<[id: Bytes, record: RlpItem]>
  /** The encoded genesis of each entity joined at run time, in id order. */
  joined: Bytes[]
}

export function encodeServerRoot(r: ServerRoot): Bytes {
  const fields: RlpItem[] = [encodeUint(r.height), r.frameHash, r.stateHash, encodeUint(r.counter), r.records.map(([id, record]) => [id, record])]
  // a node that joined nothing writes the root it always wrote
  return encodeRlp(r.joined.length > 0 ? [...fields, r.joined] : fields)
}

export function decodeServerRoot(bytes: Bytes): ServerRoot {
  const f = asList(decodeRlp(bytes, MAX_FRAME_BYTES, 'server root'), 'server root')
  if (f.length !== 5 && f.length !== 6) throw new CoreError(ErrorCode.CodecBadField, `server root: expected 5 or 6 items, got ${f.length}`, { field: 'server root' })
  const joined = f.length === 6 ? asList(f[5], 'joined entities').map((g, i) => asBytes(g, `joined[${i}]`)) : []
  if (f.length === 6 && joined.length === 0) throw new CoreError(ErrorCode.CodecNonCanonical, 'server root: an empty joined list is left out', { field: 'server root' })
  return {
    height: asUint(f[0], 'height'),
    frameHash: asBytes(f[1], 'frameHash', 32),
    stateHash: asBytes(f[2], 'stateHash', 32),
    counter: asUint(f[3], 'counter'),
    records: asList(f[4], 'signer records').map((record) => {
      const [id, value] = asList(record, 'signer record', 2)
      return [asBytes(id, 'signer id', 32), value!]
    }),
    joined,
  }
}
