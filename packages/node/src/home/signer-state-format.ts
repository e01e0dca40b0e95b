// What a validator's signer state file holds, and how it is read back: per entity the mark (the
// last vote signed) and the votes signed at its height, as JSON; format 2 sits in the two
// checksummed slots of slot-file.ts, format 1 (earlier releases) is the bare JSON. Reading checks
// every field and verifies every vote's signature under the home's key: what is not provably this
// key's is refused (fails closed), since a node must never sign without its record.

import {
  type Bytes,
  SignatureKind,
  type Vote,
  VoteStep,
  decodeVote,
  encodeVote,
  equals,
  fromHex,
  toHex,
  verifyBls,
  voteSigningMessage,
} from '@p2pnode/core'
import { MAX_SLOT_BYTES, readSlots } from './slot-file.ts'

/** The format of the JSON in the slots. */
export const SIGNER_STATE_VERSION = 2
/** The bare JSON file of earlier releases: read, and rewritten in slots at the next vote. */
export const LEGACY_VERSION = 1
/** A few votes per entity make a record of a few KiB; anything far larger is not ours. */
export const MAX_SIGNER_STATE_BYTES = 2 * MAX_SLOT_BYTES

export type SignerStateErrorCode =
  | 'SIGNER_CONFLICT' // another value at a height, round and step already signed
  | 'SIGNER_REGRESSION' // a height, round and step below the mark
  | 'SIGNER_STATE_CORRUPT' // the file cannot be read, does not parse, or its content does not hold together
  | 'SIGNER_STATE_WRONG_KEY' // the file is another validator key's
  | 'SIGNER_STATE_VERSION' // written by a release with another format
  | 'SIGNER_STATE_FULL' // the record outgrew the largest slot (dozens of chains' marks): nothing written

export class SignerStateError extends Error {
  override readonly name = 'SignerStateError'
  constructor(
    readonly code: SignerStateErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

/** The last vote a key signed for an entity: nothing at or below it may be signed again. */
export interface HighWaterMark {
  height: number
  round: number
  step: VoteStep
  blockHash: Bytes | null
}

export interface EntityRecord extends HighWaterMark {
  /** Own votes at the mark's height, in (round, step) order. */
  votes: Vote[]
}

/** Where the file's newest record is, so that the next one goes to the other slot. */
export interface Layout {
  slotBytes: number
  current: 0 | 1
  sequence: bigint
}

interface Position {
  height: number
  round: number
  step: number
}

export function compareVotes(a: Position, b: Position): number {
  return a.height - b.height || a.round - b.round || a.step - b.step
}

export function slot(v: Vote): string {
  return `${v.round}/${v.step}`
}

export function sameValue(a: Bytes | null, b: Bytes | null): boolean {
  return a === null || b === null ? a === b : equals(a, b)
}

/** A mark (or vote) as people read it: `height 12 round 0 precommit for 3fa4…`. */
export function describeMark(v: HighWaterMark): string {
  return `height ${v.height} round ${v.round} ${v.step === VoteStep.Prevote ? 'prevote' : 'precommit'} for ${v.blockHash ? toHex(v.blockHash).slice(0, 16) : 'nil'}`
}

interface EntityJson {
  entity: string
  height: number
  round: number
  step: number
  blockHash: string | null
  votes: string[]
}

export function encodeState(publicKey: Bytes, records: Map<string, EntityRecord>): string {
  const entities: EntityJson[] = [...records.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([entity, r]) => ({ entity, height: r.height, round: r.round, step: r.step, blockHash: r.blockHash && toHex(r.blockHash), votes: r.votes.map((v) => toHex(encodeVote(v))) }))
  return `${JSON.stringify({ version: SIGNER_STATE_VERSION, validatorPublicKey: toHex(publicKey), entities }, null, 2)}\n`
}

/**
 * The records the file holds, and where its newest slot is. Format 1 (bare JSON, no slots) has no
 * layout: the next write rewrites it. Of two valid slots the newer must reach at least as far as
 * the older for every entity, since a record only ever moves marks up: a slot that fails this (a
 * sequence number that wrapped, a slot copied from elsewhere) fails closed rather than win.
 */
export function decodeFile(path: string, bytes: Uint8Array, publicKey: Bytes): { records: Map<string, EntityRecord>; layout?: Layout } {
  const corrupt = (why: string) => new SignerStateError('SIGNER_STATE_CORRUPT', `${path} is corrupt: ${why}`, { path })
  if (bytes.length > MAX_SIGNER_STATE_BYTES) throw corrupt(`${bytes.length} bytes, more than the ${MAX_SIGNER_STATE_BYTES} allowed`)
  const read = readSlots(bytes)
  if (read.kind === 'none') return { records: decodeState(path, bytes, publicKey, LEGACY_VERSION) }
  if (read.kind === 'unreadable') {
    if (read.version !== undefined) throw new SignerStateError('SIGNER_STATE_VERSION', `${path} is in slots of format ${read.version}; this p2pnode reads format ${SIGNER_STATE_VERSION}`, { path })
    throw corrupt(`no valid copy of the record (${read.why})`)
  }
  const records = decodeState(path, read.newest.payload, publicKey, SIGNER_STATE_VERSION)
  if (read.older) {
    const older = decodeState(path, read.older.payload, publicKey, SIGNER_STATE_VERSION)
    for (const [entity, before] of older) {
      const now = records.get(entity)
      const order = now ? compareVotes(now, before) : -1
      if (order < 0 || (order === 0 && !sameValue(now!.blockHash, before.blockHash))) {
        throw corrupt(`its newest copy (slot ${read.newest.index}, sequence ${read.newest.sequence}) does not reach the older one's ${describeMark(before)}`)
      }
    }
  }
  return { records, layout: { slotBytes: read.slotBytes, current: read.newest.index, sequence: read.newest.sequence } }
}

/** Every field checked, every vote's signature verified: what is not provably this key's is refused. */
function decodeState(path: string, bytes: Uint8Array, publicKey: Bytes, version: number): Map<string, EntityRecord> {
  const corrupt = (why: string) => new SignerStateError('SIGNER_STATE_CORRUPT', `${path} is corrupt: ${why}`, { path })
  let file: { version?: unknown; validatorPublicKey?: unknown; entities?: unknown }
  try {
    file = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'))
  } catch (err) {
    throw corrupt(`not JSON (${(err as Error).message})`)
  }
  if (typeof file !== 'object' || file === null) throw corrupt('not a JSON object')
  if (file.version !== version) {
    const reads = version === LEGACY_VERSION ? `format ${SIGNER_STATE_VERSION} (in slots) and ${LEGACY_VERSION} (bare JSON)` : `format ${SIGNER_STATE_VERSION} in its slots`
    throw new SignerStateError('SIGNER_STATE_VERSION', `${path} holds format ${JSON.stringify(file.version)}; this p2pnode reads ${reads}`, { path })
  }
  if (file.validatorPublicKey !== toHex(publicKey)) {
    throw new SignerStateError('SIGNER_STATE_WRONG_KEY', `${path} is the record of validator key ${String(file.validatorPublicKey).slice(0, 16)}…, not of this home's key ${toHex(publicKey).slice(0, 16)}…`, { path })
  }
  if (!Array.isArray(file.entities)) throw corrupt('entities is not a list')
  const records = new Map<string, EntityRecord>()
  for (const [i, e] of (file.entities as EntityJson[]).entries()) {
    const where = `entities[${i}]`
    if (typeof e !== 'object' || e === null) throw corrupt(`${where} is not an object`)
    if (typeof e.entity !== 'string' || !/^[0-9a-f]{64}$/.test(e.entity)) throw corrupt(`${where}.entity is not 32 bytes of hex`)
    if (records.has(e.entity)) throw corrupt(`${where}.entity appears twice`)
    for (const field of ['height', 'round'] as const) if (!Number.isSafeInteger(e[field]) || e[field] < 0) throw corrupt(`${where}.${field} is not a count`)
    if (e.step !== VoteStep.Prevote && e.step !== VoteStep.Precommit) throw corrupt(`${where}.step is not 1 (prevote) or 2 (precommit)`)
    if (e.blockHash !== null && (typeof e.blockHash !== 'string' || !/^[0-9a-f]{64}$/.test(e.blockHash))) throw corrupt(`${where}.blockHash is neither null nor 32 bytes of hex`)
    if (!Array.isArray(e.votes) || e.votes.length === 0) throw corrupt(`${where}.votes is not a non-empty list`)
    const entity = fromHex(e.entity)
    const votes: Vote[] = []
    for (const [j, hex] of e.votes.entries()) {
      let vote: Vote
      try {
        if (typeof hex !== 'string' || !/^([0-9a-f]{2})+$/.test(hex)) throw new Error('not hex')
        vote = decodeVote(fromHex(hex))
      } catch {
        throw corrupt(`${where}.votes[${j}] is not an encoded vote`)
      }
      if (!equals(vote.entity, entity) || vote.height !== e.height) throw corrupt(`${where}.votes[${j}] is not of the entity and height of its record`)
      const domain = { network: vote.network, entity: vote.entity, kind: SignatureKind.Vote }
      if (!verifyBls(publicKey, domain, voteSigningMessage(vote), vote.signature)) throw corrupt(`${where}.votes[${j}] is not signed by this validator key`)
      if (votes.some((v) => slot(v) === slot(vote))) throw corrupt(`${where}.votes[${j}] is a second vote for its round and step`)
      votes.push(vote)
    }
    votes.sort(compareVotes)
    const last = votes[votes.length - 1]!
    const blockHash = e.blockHash === null ? null : fromHex(e.blockHash)
    if (compareVotes(last, e) !== 0 || !sameValue(last.blockHash, blockHash)) throw corrupt(`${where}: the mark is not the last of its votes`)
    records.set(e.entity, { height: e.height, round: e.round, step: e.step, blockHash, votes })
  }
  return records
}
