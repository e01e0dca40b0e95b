// What each machine does with a value routed to it (server-input.ts spells the ops), and the
// server's own transactions. A value that does not decode, or names no op of its machine, gives
// an `input.rejected` output; the input it came in is still logged, because replaying it gives
// the same rejection. Writes a value makes (mempool entries, blocks, voted blocks) go into `ops`,
// which the server writes with the frame.

import type { Bytes } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import { type RlpItem, asBytes, asList, asOptionalHash, asString, asUint } from '../codec/rlp.ts'
import { decodeVote, encodeTx } from '../codec/objects.ts'
import type { BatchOp } from '../storage/interface.ts'
import type { Transaction, Vote, VoteStep } from '../types/chain.ts'
import type { EntityMachine } from './entity.ts'
import { mempoolKey, votedBlockKey } from './server-store.ts'
import { ServerOp } from './server-input.ts'
import type { AccountSigner, ValidatorSigner } from './signer.ts'

export type ServerOutput =
  | { type: 'tx.admitted'; entity: Bytes; hash: Bytes }
  | { type: 'tx.rejected'; entity: Bytes; code: string }
  | { type: 'block.committed'; entity: Bytes; height: number; hash: Bytes; txHashes: Bytes[] }
  | { type: 'block.rejected'; entity: Bytes; code: string }
  | { type: 'vote.signed'; vote: Vote }
  | { type: 'vote.recorded'; vote: Vote }
  | { type: 'tx.signed'; tx: Transaction; encoded: Bytes }
  | { type: 'input.rejected'; code: string; message: string }

export type Machine = { kind: 'entity'; m: EntityMachine } | { kind: 'validator'; m: ValidatorSigner } | { kind: 'account'; m: AccountSigner }

function rejected(err: unknown): ServerOutput[] {
  if (!isCoreError(err)) throw err
  return [{ type: 'input.rejected', code: err.code, message: err.message }]
}

/** Applies one value routed to `machine`. */
export function applyMachineInput(machine: Machine, value: RlpItem, ops: BatchOp[]): ServerOutput[] {
  try {
    const f = asList(value, 'machine input')
    const op = asString(f[0], 'op', 16)
    if (machine.kind === 'entity') return entityInput(machine.m, op, f, ops)
    if (machine.kind === 'validator' && op === ServerOp.VoteRecord) {
      // A vote the consensus engine signed, with the block it votes for: both durable with this
      // frame, so that after a crash the engine gets them back (restoredVotes, restoredBlocks).
      const vote = decodeVote(asBytes(f[1], 'vote'))
      const block = asBytes(f[2], 'block')
      const { dropped } = machine.m.recordVote(vote)
      for (const hash of dropped) ops.push({ type: 'del', key: votedBlockKey(vote.entity, hash) })
      if (vote.blockHash && block.length > 0) ops.push({ type: 'put', key: votedBlockKey(vote.entity, vote.blockHash), value: block })
      return [{ type: 'vote.recorded', vote }]
    }
    if (machine.kind === 'validator' && op === ServerOp.Vote) {
      const [, network, entity, validator, height, round, step, hash] = f
      const vote = machine.m.signVote(asString(network, 'network', 64), asBytes(entity, 'entity', 32), asUint(validator, 'validator'), {
        height: asUint(height, 'height'),
        round: asUint(round, 'round'),
        step: asUint(step, 'step') as VoteStep,
        blockHash: asOptionalHash(hash, 'blockHash'),
      })
      return [{ type: 'vote.signed', vote }]
    }
    if (machine.kind === 'account' && op === ServerOp.SignTx) {
      const [, network, entity, nonce, kind, payload] = f
      const tx = machine.m.signTransaction({
        network: asString(network, 'network', 64),
        entity: asBytes(entity, 'entity', 32),
        nonce: asUint(nonce, 'nonce'),
        kind: asString(kind, 'kind', 32) as Transaction['kind'],
        payload: asBytes(payload, 'payload'),
      })
      return [{ type: 'tx.signed', tx, encoded: encodeTx(tx) }]
    }
    throw new CoreError(ErrorCode.ServerBadInput, `${machine.kind} has no op ${op}`)
  } catch (err) {
    return rejected(err)
  }
}

function entityInput(entity: EntityMachine, op: string, f: RlpItem[], ops: BatchOp[]): ServerOutput[] {
  if (op === ServerOp.Tx) {
    try {
      const encoded = asBytes(f[1], 'tx')
      const { hash } = entity.addTransaction(encoded)
      ops.push({ type: 'put', key: mempoolKey(entity.id, hash), value: encoded })
      persistRemovals(entity, ops)
      return [{ type: 'tx.admitted', entity: entity.id, hash }]
    } catch (err) {
      if (!isCoreError(err)) throw err
      return [{ type: 'tx.rejected', entity: entity.id, code: err.code }]
    }
  }
  if (op === ServerOp.Block) {
    try {
      const applied = entity.applyCommitted(asBytes(f[1], 'block'), asBytes(f[2], 'commit'))
      ops.push(...applied.ops)
      persistRemovals(entity, ops)
      return [{ type: 'block.committed', entity: entity.id, height: applied.height, hash: applied.hash, txHashes: applied.txHashes }]
    } catch (err) {
      if (!isCoreError(err)) throw err
      return [{ type: 'block.rejected', entity: entity.id, code: err.code }]
    }
  }
  throw new CoreError(ErrorCode.ServerBadInput, `entity has no op ${op}`)
}

/** The persisted mempool follows the pool: what left it is deleted with the next frame. */
function persistRemovals(entity: EntityMachine, ops: BatchOp[]): void {
  for (const hash of entity.mempool.takeRemoved()) ops.push({ type: 'del', key: mempoolKey(entity.id, hash) })
}

/**
 * The server's own transactions: `counter.add N`, as in the seed's machine, and the records of
 * joining and leaving an entity, which Server.host and Server.leave log after doing it (so here
 * they only check that it was done: a joined entity is open, a left one is not). Returns the new
 * counter, or a rejection.
 */
export function applyOwnInput(counter: number, value: RlpItem, joined: (id: Bytes) => boolean): { counter: number; out: ServerOutput[] } {
  try {
    const f = asList(value, 'server transaction', 2)
    const op = asString(f[0], 'op', 16)
    if (op === ServerOp.EntityHost) {
      if (!joined(sha256(asBytes(f[1], 'genesis')))) throw new CoreError(ErrorCode.ServerUnknownMachine, 'entity.host of an entity not opened: Server.host logs it')
      return { counter, out: [] }
    }
    if (op === ServerOp.EntityLeave) {
      if (joined(asBytes(f[1], 'entity', 32))) throw new CoreError(ErrorCode.ServerBadInput, 'entity.leave of an entity still hosted: Server.leave logs it')
      return { counter, out: [] }
    }
    if (op !== ServerOp.CounterAdd) throw new CoreError(ErrorCode.ServerBadInput, `server has no op ${op}`)
    const next = counter + asUint(f[1], 'amount')
    if (!Number.isSafeInteger(next)) throw new CoreError(ErrorCode.ServerBadInput, 'counter would overflow')
    return { counter: next, out: [] }
  } catch (err) {
    return { counter, out: rejected(err) }
  }
}
