// The sync protocol, `/p2pnode/<network>/sync/1`: request/response over one stream each.
//
//   request ["status"]                 -> [height, headHash] or [height, headHash, servesFrom]
//   request ["blocks", from, count]    -> [[block, commit], ...]  (consecutive heights from `from`)
//                                         or the error SYNC_PRUNED when `from` was pruned
//
// Version 1 asks about the network's root entity. `/p2pnode/<network>/sync/2` names the entity:
// each request is the version 1 request with the entity id first (`[entity, "status"]`,
// `[entity, "blocks", from, count]`), the answers are the same, and a node that does not host the
// entity answers SYNC_UNKNOWN_ENTITY. The root stays on version 1, so a release that speaks only
// version 1 syncs the root from any node and is synced from; it cannot sync (or serve) the other
// entities, which it cannot host either, and a node asking it over version 2 gets "protocol not
// supported" and asks another peer.
//
// Responses stop early at MAX_BLOCKS_PER_RESPONSE blocks or MAX_RESPONSE_BYTES, so one answer is
// bounded whatever was asked. Every block is verified by the requester (commit first) before it
// is applied: a peer can waste our time, never corrupt our chain.
//
// A node that pruned old blocks (storage.keepBlocks) serves heights servesFrom..height and says
// so in its status; one that kept every block answers the two-field status it always did (one
// status, one encoding). A release from before pruning cannot decode the three-field form and
// leaves such a peer out of its sync, which is right: it would ask it for heights it lacks.

import { RequestRefused } from '../network/errors.ts'
import {
  type Bytes,
  type ChainStore,
  CoreError,
  ErrorCode,
  type RlpItem,
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
  return requestOf(asList(decodeRlp(bytes, MAX_SYNC_REQUEST_BYTES, 'sync request'), 'sync request'))
}

/** Version 2: the request for `entity`. */
export function encodeEntitySyncRequest(entity: Bytes, r: SyncRequest): Bytes {
  return r.type === 'status'
    ? encodeRlp([entity, encodeString('status')])
    : encodeRlp([entity, encodeString('blocks'), encodeUint(r.from), encodeUint(r.count)])
}

export function decodeEntitySyncRequest(bytes: Bytes): { entity: Bytes; request: SyncRequest } {
  const f = asList(decodeRlp(bytes, MAX_SYNC_REQUEST_BYTES, 'sync request'), 'sync request')
  return { entity: asBytes(f[0], 'entity', 32), request: requestOf(f.slice(1)) }
}

function requestOf(f: RlpItem[]): SyncRequest {
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

/** The code a server answers a blocks request with when it pruned the first height asked for. */
export const SYNC_PRUNED = 'SYNC_PRUNED'
/** The largest status answer: two uints and a hash. */
export const MAX_STATUS_BYTES = 128

export interface StatusResponse {
  height: number
  headHash: Bytes
  /** The lowest height the peer serves: 1 unless it pruned older blocks. */
  servesFrom: number
}

export function encodeStatus(s: StatusResponse): Bytes {
  const fields = [encodeUint(s.height), s.headHash]
  return encodeRlp(s.servesFrom > 1 ? [...fields, encodeUint(s.servesFrom)] : fields)
}

export function decodeStatus(bytes: Bytes): StatusResponse {
  const f = asList(decodeRlp(bytes, MAX_STATUS_BYTES, 'status'), 'status')
  if (f.length !== 2 && f.length !== 3) throw new CoreError(ErrorCode.CodecBadField, `status of ${f.length} fields`, { field: 'status' })
  const height = asUint(f[0], 'height')
  const headHash = asBytes(f[1], 'headHash', 32)
  if (f.length === 2) return { height, headHash, servesFrom: 1 }
  const servesFrom = asUint(f[2], 'servesFrom')
  // 1 is said by leaving the field out; a node keeps at least its head block
  if (servesFrom < 2 || servesFrom > height) throw new CoreError(ErrorCode.CodecBadField, `servesFrom ${servesFrom} at height ${height}`, { field: 'servesFrom' })
  return { height, headHash, servesFrom }
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

/**
 * Serves sync requests from the chain store. A blocks request from below the store's first kept
 * height is refused with SYNC_PRUNED (the requester asks a peer that has them), also when the
 * heights were pruned while they were being read.
 */
export async function serveSync(request: Bytes, chain: ChainStore, tip: () => SyncTip): Promise<Bytes> {
  return answer(decodeSyncRequest(request), chain, tip)
}

/** The code a node answers a version 2 request with for an entity it does not host. */
export const SYNC_UNKNOWN_ENTITY = 'SYNC_UNKNOWN_ENTITY'

export type SyncTip = { height: number; headHash: Bytes }

/** Serves version 2: `find` gives the chain and tip of an entity this node hosts. */
export async function serveEntitySync(request: Bytes, find: (entity: Bytes) => { chain: ChainStore; tip: () => SyncTip } | undefined): Promise<Bytes> {
  const { entity, request: r } = decodeEntitySyncRequest(request)
  const hosted = find(entity)
  if (!hosted) throw new RequestRefused(SYNC_UNKNOWN_ENTITY, 'this node does not host that entity')
  return answer(r, hosted.chain, hosted.tip)
}

async function answer(r: SyncRequest, chain: ChainStore, tip: () => SyncTip): Promise<Bytes> {
  const { height: head, headHash } = tip()
  if (r.type === 'status') return encodeStatus({ height: head, headHash, servesFrom: Math.min(chain.firstKept, Math.max(head, 1)) })
  const from = Math.max(1, r.from)
  const pruned = () => new RequestRefused(SYNC_PRUNED, `heights below ${chain.firstKept} are pruned; asked from ${from}`)
  if (from < chain.firstKept && from <= head) throw pruned()
  const blocks: SyncedBlock[] = []
  let bytes = 0
  const last = Math.min(head, r.from + Math.min(r.count, MAX_BLOCKS_PER_RESPONSE) - 1)
  for (let height = from; height <= last; height++) {
    const block = await chain.loadBlockAt(height)
    const commit = await chain.loadCommit(height)
    if (!block || !commit) break
    if (blocks.length > 0 && bytes + block.length > MAX_RESPONSE_BYTES) break
    blocks.push({ block, commit })
    bytes += block.length + commit.length
  }
  if (blocks.length === 0 && from < chain.firstKept && from <= head) throw pruned()
  return encodeBlocks(blocks)
}
