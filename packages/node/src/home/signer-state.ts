// The double-sign record of one validator key, kept beside the key and not in <home>/data: reset,
// import and init --force replace the chain data, and must not take the record with them (the
// role CometBFT's priv_validator_state.json plays). The consensus loop records every own vote here,
// durably, before it broadcasts it, and refuses to sign at or below the record's high-water mark.
//
//   <home>/keys/signer-state-<first 16 hex digits of the validator public key>.json
//   two slots (slot-file.ts), each a checksummed header and this JSON, zero-padded:
//   {
//     "version": 2,
//     "validatorPublicKey": "<96 hex digits>",
//     "entities": [
//       { "entity": "<64 hex>", "height": 12, "round": 0, "step": 2, "blockHash": "<64 hex>" | null,
//         "votes": ["<hex of core's encodeVote>", ...] }
//     ]
//   }
//
// (height, round, step, blockHash) is the mark: the last vote signed for that entity (step 1 is a
// prevote, 2 a precommit). `votes` are the votes signed at the mark's height that a restarted
// engine needs as its own: those of the mark's round and those of its lock round. The file names
// its key in full and every vote's signature must verify under it, so a file never applies to
// another key. An unreadable file fails closed: the node must not start and sign without it.
//
// Each vote is on the critical path of block time, so a record is one page written in place over
// the older slot and one fdatasync (the file's length and blocks never change after it is made,
// so no metadata needs flushing); a crash mid-write tears only that slot, and the other, the state
// before the vote, stands. The file name still ends in .json (the CLI's help and older homes know
// it by that name). Format 1, the bare JSON with "version": 1 that earlier releases wrote with an
// atomic replace, still loads, and the first vote recorded rewrites it in slots; making the file,
// or growing its slots, is such an atomic replace too (atomic-write.ts), once.

import { close, fdatasync, fstat, open, write } from 'node:fs'
import { readFile, readdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { type Bytes, type Vote, VoteStep, equals, toHex } from '@p2pnode/core'
import { syncDir, tmpPathOf, writeFileAtomic } from './atomic-write.ts'
import {
  type EntityRecord,
  type HighWaterMark,
  type Layout,
  SignerStateError,
  compareVotes,
  decodeFile,
  describeMark,
  encodeState,
  sameValue,
  slot,
} from './signer-state-format.ts'
import { MAX_SLOT_BYTES, encodeSlot, encodeSlotFile, fitsSlot, slotBytesFor } from './slot-file.ts'

export { type HighWaterMark, SIGNER_STATE_VERSION, SignerStateError, type SignerStateErrorCode, describeMark } from './signer-state-format.ts'

/** Hex digits of the public key in the file name: enough to tell an operator's keys apart. */
const NAME_KEY_DIGITS = 16
const FILE_PATTERN = /^signer-state-[0-9a-f]{16}\.json$/

/** Where a key's signer state lives in a home's keys directory. */
export function signerStatePath(keysDir: string, publicKey: Bytes): string {
  return join(keysDir, `signer-state-${toHex(publicKey).slice(0, NAME_KEY_DIGITS)}.json`)
}

/** The signer state files in a keys directory: this key's and those of keys the home had before. */
export async function listSignerStates(keysDir: string): Promise<string[]> {
  const names = await readdir(keysDir).catch(() => [] as string[])
  return names.filter((n) => FILE_PATTERN.test(n)).sort().map((n) => join(keysDir, n))
}

/** Deletes a key's signer state (`reset --unsafe-reset-signer`). Returns whether there was one. */
export async function removeSignerState(keysDir: string, publicKey: Bytes): Promise<boolean> {
  const path = signerStatePath(keysDir, publicKey)
  const existed = await readFile(path).then(() => true, () => false)
  await rm(path, { force: true })
  await rm(tmpPathOf(path), { force: true })
  await syncDir(keysDir)
  return existed
}

/** Moves an unreadable signer state aside (`start --unsafe-reset-signer`), keeping it for a post-mortem. */
export async function setAsideSignerState(keysDir: string, publicKey: Bytes): Promise<string> {
  const path = signerStatePath(keysDir, publicKey)
  const aside = `${path}.corrupt`
  await rename(path, aside)
  await syncDir(keysDir)
  return aside
}

/** What the home commands tell the operator about a key's record (never throws for a bad file). */
export interface SignerStateSummary {
  path: string
  present: boolean
  /** The mark for the entity asked about, when the file is readable and has one. */
  mark?: HighWaterMark
  /** Why the file cannot be used, when it cannot (start refuses it). */
  problem?: SignerStateError
}

export async function inspectSignerState(paths: { keys: string }, publicKey: Bytes, entity: Bytes): Promise<SignerStateSummary> {
  const path = signerStatePath(paths.keys, publicKey)
  const present = await readFile(path).then(() => true, () => false)
  try {
    const mark = (await SignerState.load(paths, publicKey)).highWater(entity)
    return { path, present, ...(mark ? { mark } : {}) }
  } catch (err) {
    if (!(err instanceof SignerStateError)) throw err
    return { path, present, problem: err }
  }
}

export class SignerState {
  /** Serializes writes: each record() sees the one before it on disk. */
  private tail: Promise<unknown> = Promise.resolve()
  /** Opened at the first in-place write and kept: the hot path pays no open or close. */
  private fd: number | undefined

  private constructor(
    readonly path: string,
    readonly publicKey: Bytes,
    private records: Map<string, EntityRecord>,
    /** Undefined while there is no file in slots (none yet, or format 1): the next write makes one. */
    private layout: Layout | undefined,
  ) {}

  /** Reads the key's signer state (none yet: an empty one). Throws SignerStateError when unreadable. */
  static async load(paths: { keys: string }, publicKey: Bytes): Promise<SignerState> {
    const path = signerStatePath(paths.keys, publicKey)
    let bytes: Buffer
    try {
      bytes = await readFile(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new SignerState(path, publicKey, new Map(), undefined)
      throw new SignerStateError('SIGNER_STATE_CORRUPT', `${path} cannot be read: ${(err as Error).message}`, { path })
    }
    const { records, layout } = decodeFile(path, bytes, publicKey)
    return new SignerState(path, publicKey, records, layout)
  }

  /** The last vote signed for `entity`, if any. */
  highWater(entity: Bytes): HighWaterMark | undefined {
    const r = this.records.get(toHex(entity))
    return r && { height: r.height, round: r.round, step: r.step, blockHash: r.blockHash }
  }

  /** Own votes kept at `height` (only the mark's height keeps any). */
  votesAt(entity: Bytes, height: number): Vote[] {
    const r = this.records.get(toHex(entity))
    return r && r.height === height ? [...r.votes] : []
  }

  /** Whether this key may take part in `height`: not below the mark (there it only follows). */
  maySignAt(entity: Bytes, height: number): boolean {
    const r = this.records.get(toHex(entity))
    return !r || height >= r.height
  }

  /**
   * What the consensus loop needs when it starts `height`: whether to sign at all, and the votes
   * to restore as its own. `ledgerVotes` are the own votes the database still holds (the server
   * signer's record); any above the mark were made durable there but not here (a crash between
   * the two writes) and are recorded first, since the engine re-broadcasts restored votes.
   */
  async startHeight(entity: Bytes, height: number, ledgerVotes: Vote[] = []): Promise<{ sign: boolean; votes: Vote[] }> {
    if (!this.maySignAt(entity, height)) return { sign: false, votes: [] }
    const ledger = ledgerVotes.filter((v) => equals(v.entity, entity) && v.height === height).sort(compareVotes)
    for (const vote of ledger) {
      const mark = this.highWater(entity)
      if (!mark || compareVotes(vote, mark) > 0) await this.record(vote)
      else alreadyKept(this.votesAt(entity, height), vote) // throws if it disagrees with the file
    }
    const votes = new Map<string, Vote>()
    for (const v of [...this.votesAt(entity, height), ...ledger]) if (!votes.has(slot(v))) votes.set(slot(v), v)
    return { sign: true, votes: [...votes.values()].sort(compareVotes) }
  }

  /**
   * Makes `vote` durable as signed, or refuses it (SignerStateError SIGNER_CONFLICT or
   * SIGNER_REGRESSION) without writing anything. A vote already recorded is accepted and not
   * written again. One page written in place and one fdatasync.
   */
  record(vote: Vote): Promise<void> {
    return this.serial(() => this.apply(vote))
  }

  /** Lets go of the file (a node that stops); a later record() opens it again. */
  close(): Promise<void> {
    return this.serial(() => this.closeFile())
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const next = this.tail.then(run)
    this.tail = next.catch(() => undefined)
    return next
  }

  private async apply(vote: Vote): Promise<void> {
    const key = toHex(vote.entity)
    const next = advance(this.records.get(key), vote)
    if (!next) return
    const records = new Map(this.records).set(key, next)
    const payload = Buffer.from(encodeState(this.publicKey, records))
    if (this.layout && fitsSlot(this.layout.slotBytes, payload.length)) await this.writeSlot(this.layout, payload)
    else await this.replaceFile(payload)
    this.records = records
  }

  /** The hot path: the slot not holding the newest record, whole, then fdatasync. */
  private async writeSlot(layout: Layout, payload: Uint8Array): Promise<void> {
    const fd = this.fd ?? (await this.openFile(layout))
    const target = layout.current === 0 ? 1 : 0
    const sequence = layout.sequence + 1n
    const slot = encodeSlot(layout.slotBytes, sequence, payload)
    for (let done = 0; done < slot.length; ) {
      done += (await writeAsync(fd, slot, done, slot.length - done, target * layout.slotBytes + done)).bytesWritten
    }
    await fdatasyncAsync(fd)
    // Only now is the target the newest: after a failed write the next one goes to it again.
    this.layout = { slotBytes: layout.slotBytes, current: target, sequence }
  }

  /** A new file (the first vote, format 1's rewrite, or a record outgrowing its slots): atomic replace. */
  private async replaceFile(payload: Uint8Array): Promise<void> {
    const slotBytes = slotBytesFor(payload.length)
    if (slotBytes === undefined) {
      throw new SignerStateError('SIGNER_STATE_FULL', `${this.path} would hold ${payload.length} bytes, more than a slot of ${MAX_SLOT_BYTES} allows`, { path: this.path })
    }
    const sequence = (this.layout?.sequence ?? 0n) + 1n
    await this.closeFile() // its descriptor is of the file about to be replaced
    await writeFileAtomic(this.path, encodeSlotFile(slotBytes, sequence, payload), { mode: 0o600 })
    this.layout = { slotBytes, current: 0, sequence }
  }

  private async openFile(layout: Layout): Promise<number> {
    const fd = await openAsync(this.path, 'r+')
    try {
      // A file replaced since it was read (by hand, or another process) is not the one laid out.
      const { size } = await fstatAsync(fd)
      if (size !== 2 * layout.slotBytes) {
        throw new SignerStateError('SIGNER_STATE_CORRUPT', `${this.path} changed under the node: ${size} bytes where ${2 * layout.slotBytes} were written`, { path: this.path })
      }
      // A crash's leftover tmp file: in-place writes never replace it, so it goes here (tidying
      // only: readers ignore it, and a failure to remove it is no reason not to sign).
      await rm(tmpPathOf(this.path), { force: true }).catch(() => undefined)
    } catch (err) {
      await closeAsync(fd)
      throw err
    }
    this.fd = fd
    return fd
  }

  private async closeFile(): Promise<void> {
    const fd = this.fd
    this.fd = undefined
    if (fd !== undefined) await closeAsync(fd)
  }
}

// Plain descriptors, not FileHandles: a state dropped unclosed must not trip the garbage
// collector's warning about a FileHandle it had to close.
const openAsync = promisify(open)
const fstatAsync = promisify(fstat)
const writeAsync = promisify(write) as (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => Promise<{ bytesWritten: number }>
const fdatasyncAsync = promisify(fdatasync)
const closeAsync = promisify(close)

/** The entity's record once `vote` is signed; undefined when the vote is already in it. */
function advance(current: EntityRecord | undefined, vote: Vote): EntityRecord | undefined {
  const mark = { height: vote.height, round: vote.round, step: vote.step, blockHash: vote.blockHash }
  if (!current) return { ...mark, votes: [vote] }
  const order = compareVotes(vote, current)
  if (order <= 0) {
    if (alreadyKept(current.votes, vote)) return undefined
    throw new SignerStateError('SIGNER_REGRESSION', `refusing to sign ${describeMark(vote)}: already signed up to ${describeMark(current)}`, { vote: describeMark(vote), mark: describeMark(current) })
  }
  const votes = vote.height === current.height ? [...current.votes, vote] : [vote]
  return { ...mark, votes: kept(votes) }
}

/**
 * Whether `vote` is among the votes kept at the mark's height (true), is absent (false), or
 * differs from the one kept at its round and step (throws SIGNER_CONFLICT).
 */
function alreadyKept(votes: Vote[], vote: Vote): boolean {
  const same = votes.find((v) => v.height === vote.height && slot(v) === slot(vote))
  if (!same) return false
  if (sameValue(same.blockHash, vote.blockHash)) return true
  throw new SignerStateError('SIGNER_CONFLICT', `refusing to sign ${describeMark(vote)}: already signed ${describeMark(same)}`, { vote: describeMark(vote), signed: describeMark(same) })
}

/**
 * The votes a restart needs, of one height: the engine never returns to an earlier round, so
 * only the latest round's votes and those of the lock (the latest non-nil precommit, and its
 * round's prevote, which others need to see the lock's proof again) matter. The mark guards the
 * rest. This keeps the file, and so each write, a few KiB however many rounds a height takes.
 */
function kept(votes: Vote[]): Vote[] {
  const latest = Math.max(...votes.map((v) => v.round))
  const lock = Math.max(-1, ...votes.filter((v) => v.step === VoteStep.Precommit && v.blockHash !== null).map((v) => v.round))
  return votes.filter((v) => v.round === latest || v.round === lock).sort(compareVotes)
}
