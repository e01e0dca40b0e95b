// The sync protocol, `/p2pnode/<network>/sync/1`: request/response over one stream each.
//
//   request ["status"]                 -> [height, headHash]
//   request ["blocks", from, count]    -> [[block, commit], ...]  (consecutive heights from `from`)
//
// Responses stop early at MAX_BLOCKS_PER_RESPONSE blocks or MAX_RESPONSE_BYTES, so one answer is
// bounded whatever was asked. Every block is verified by the requester (commit first) before it
// is applied: a peer can waste our time, never corrupt our chain.

import {
  type Bytes,
  type ChainStore,
  CoreError,
  ErrorCode,
  MAX_BLOCK_BYTES,
  MAX_COMMIT_BYTES,
  asBoundedBytes,
  asBytes,
  asList,
  asString,
  asUint,
  decodeRlp,
  encodeRlp,
  encodeString,
  encodeUint,
} from '@p2pnode/core'

export const MAX_SYNC_REQUEST_BYTES = 256
export const MAX_BLOCKS_PER_RESPONSE = 50
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024
/** The largest blocks response: the byte limit plus the one block that may cross it. */
export const MAX_RESPONSE_MESSAGE = MAX_RESPONSE_BYTES + MAX_BLOCK_BYTES + 1024

export type SyncRequest = { type: 'status' } | { type: 'blocks'; from: number; count: number }

export function encodeSyncRequest(r: SyncRequest): Bytes {
  return r.type === 'status'
    ? encodeRlp([encodeString('status')])
    : encodeRlp([encodeString('blocks'), encodeUint(r.from), encodeUint(r.count)])
}

export function decodeSyncRequest(bytes: Bytes): SyncRequest {
  const f = asList(decodeRlp(bytes, MAX_SYNC_REQUEST_BYTES, 'sync request'), 'sync request')
  const type = asString(f[0], 'type', 16)
  // exactly the request's fields: one request, one encoding
  if (type === 'status') {
    asList(f, 'status request', 1)
    return { type }
  }
  if (type === 'blocks') {
    asList(f, 'blocks request', 3)
    return { type, from: asUint(f[1], 'from'), count: asUint(f[2], 'count') }
  }
  throw new CoreError(ErrorCode.CodecBadField, `unknown sync request ${type}`, { field: 'type' })
}

export interface StatusResponse {
  height: number
  headHash: Bytes
}

export function encodeStatus(s: StatusResponse): Bytes {
  return encodeRlp([encodeUint(s.height), s.headHash])
}

export function decodeStatus(bytes: Bytes): StatusResponse {
  const [height, hash] = asList(decodeRlp(bytes, 128, 'status'), 'status', 2)
  return { height: asUint(height, 'height'), headHash: asBytes(hash, 'headHash', 32) }
}

export interface SyncedBlock {
  block: Bytes
  commit: Bytes
}

export function encodeBlocks(blocks: SyncedBlock[]): Bytes {
  return encodeRlp(blocks.map((b) => [b.block, b.commit]))
}

export function decodeBlocks(bytes: Bytes): SyncedBlock[] {
  const list = asList(decodeRlp(bytes, MAX_RESPONSE_MESSAGE, 'blocks'), 'blocks')
  if (list.length > MAX_BLOCKS_PER_RESPONSE) throw new CoreError(ErrorCode.CodecBadField, `${list.length} blocks in one response`, { field: 'blocks' })
  return list.map((item, i) => {
    const [block, commit] = asList(item, `blocks[${i}]`, 2)
    return { block: asBoundedBytes(block, 'block', MAX_BLOCK_BYTES), commit: asBoundedBytes(commit, 'commit', MAX_COMMIT_BYTES) }
  })
}

/** Serves sync requests from the chain store. */
export async function serveSync(request: Bytes, chain: ChainStore, tip: () => StatusResponse): Promise<Bytes> {
  const r = decodeSyncRequest(request)
  if (r.type === 'status') return encodeStatus(tip())
  const blocks: SyncedBlock[] = []
  let bytes = 0
  const last = Math.min(tip().height, r.from + Math.min(r.count, MAX_BLOCKS_PER_RESPONSE) - 1)
  for (let height = Math.max(1, r.from); height <= last; height++) {
    const block = await chain.loadBlockAt(height)
    const commit = await chain.loadCommit(height)
    if (!block || !commit) break
    if (blocks.length > 0 && bytes + block.length > MAX_RESPONSE_BYTES) break
    blocks.push({ block, commit })
    bytes += block.length + commit.length
  }
  return encodeBlocks(blocks)
}
