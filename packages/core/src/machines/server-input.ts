// The server's inputs, built in one place. An input is RLP `[keys[], values...]`: value i
// (i < len(keys)) goes to the machine whose 32-byte id is key i, the rest are the server's own
// transactions; each value is `[op, fields...]` (server-ops.ts applies them). The frames log these
// bytes, so the encoding is the write-ahead log's format: callers build inputs with the functions
// below, never by hand.

import type { Bytes } from '../bytes.ts'
import { type RlpItem, asBytes, asList, asString, decodeRlp, encodeRlp, encodeString, encodeUint } from '../codec/rlp.ts'
import { MAX_FRAME_BYTES, MAX_SERVER_INPUT_BYTES } from '../limits.ts'
import { encodeVote } from '../codec/objects.ts'
import type { Vote } from '../types/chain.ts'

/** Inputs of the frame being filled; half the frame limit leaves room for the blocks they commit. */
export const MAX_OPEN_FRAME_BYTES = MAX_FRAME_BYTES / 2
/**
 * Headroom above that for inputs that must not be refused for load: a validator's own vote
 * record and a decided block (consensus cannot go on without them, review M-1). Peers and API
 * clients cannot reach it.
 */
export const RESERVED_FRAME_BYTES = MAX_FRAME_BYTES / 4

export interface ReceiveOptions {
  /** The node's own consensus input: it may use the reserved headroom of the open frame. */
  reserved?: boolean
}

/** Each machine's ops, as the log spells them. */
export const ServerOp = {
  /** entity: admit a signed transaction to the mempool. */
  Tx: 'tx',
  /** entity: apply a block with its quorum certificate. */
  Block: 'block',
  /** validator signer: record a vote it signed (and the block it votes for) before it is sent. */
  VoteRecord: 'vote.record',
  /** validator signer: sign a vote. */
  Vote: 'vote',
  /** account signer: sign a transaction (its op name is the entity's `tx`; the machine tells them apart). */
  SignTx: 'tx',
  /** the server's own: add to its counter. */
  CounterAdd: 'counter.add',
  /** the server's own: it joined an entity (Server.host), with the entity's genesis. */
  EntityHost: 'entity.host',
  /** the server's own: it left an entity it joined (Server.leave), by id. */
  EntityLeave: 'entity.leave',
} as const

/** Builds a server input: values routed to `routed` machines, then the server's own values. */
export function encodeServerInput(routed: Array<[id: Bytes, value: RlpItem]>, own: RlpItem[] = []): Bytes {
  return encodeRlp([routed.map(([id]) => id), ...routed.map(([, value]) => value), ...own])
}

/** A signed transaction for an entity's mempool. */
export function txInput(entity: Bytes, tx: Bytes): Bytes {
  return encodeServerInput([[entity, [encodeString(ServerOp.Tx), tx]]])
}

/** A committed block and its encoded certificate, for the entity to apply. */
export function blockInput(entity: Bytes, block: Bytes, commit: Bytes): Bytes {
  return encodeServerInput([[entity, [encodeString(ServerOp.Block), block, commit]]])
}

/** A vote the validator signer signed, with the block it votes for (empty for none). */
export function voteRecordInput(signer: Bytes, vote: Vote, block: Bytes = new Uint8Array(0)): Bytes {
  return encodeServerInput([[signer, [encodeString(ServerOp.VoteRecord), encodeVote(vote), block]]])
}

/** The server's own `counter.add N`. */
export function counterAddValue(amount: number): RlpItem {
  return [encodeString(ServerOp.CounterAdd), encodeUint(amount)]
}

/** The server's own record of joining an entity: `entity.host GENESIS` (Server.host logs it). */
export function entityHostValue(genesis: Bytes): RlpItem {
  return [encodeString(ServerOp.EntityHost), genesis]
}

/** The server's own record of leaving a joined entity: `entity.leave ID` (Server.leave logs it). */
export function entityLeaveValue(id: Bytes): RlpItem {
  return [encodeString(ServerOp.EntityLeave), id]
}

/** The joins (genesis) and leaves (entity id) among an input's own values, in order (Server.replay). */
type JoinOrLeave = { op: typeof ServerOp.EntityHost | typeof ServerOp.EntityLeave; arg: Bytes }

export function joinsAndLeaves(input: Bytes): JoinOrLeave[] {
  const list = asList(decodeRlp(input, MAX_SERVER_INPUT_BYTES, 'server input'), 'server input')
  return list.slice(asList(list[0], 'server input keys').length + 1).flatMap((value): JoinOrLeave[] => {
    const f = asList(value, 'server transaction')
    const op = asString(f[0], 'op', 16)
    if (op === ServerOp.EntityHost) return [{ op, arg: asBytes(f[1], 'genesis') }]
    if (op === ServerOp.EntityLeave) return [{ op, arg: asBytes(f[1], 'entity', 32) }]
    return []
  })
}
