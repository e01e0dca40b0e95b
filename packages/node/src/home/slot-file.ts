// A small record that must survive a crash at any instant and is rewritten on a hot path, at the
// cost of one in-place write and one fdatasync (no temporary file, rename or directory fsync): the
// file holds two slots, and each write goes to the slot that does not hold the newest record, so
// that the newest durable record is never touched while a write is under way. A reader keeps the
// valid slot with the highest sequence number; a slot torn by a crash fails its checksum and is
// ignored, and the other slot, the record before, stands. This module is the format only (pure);
// the caller does the I/O (signer-state.ts).
//
//   the file: slot 0 at offset 0, slot 1 at offset slotBytes, nothing else; each slot:
//      0  magic      8 bytes  "P2PNSLOT"
//      8  version    u32 BE   SLOT_FORMAT_VERSION
//     12  slotBytes  u32 BE   each slot's size: a multiple of a page, the same in both slots
//     16  sequence   u64 BE   one more than the record before
//     24  length     u32 BE   payload bytes
//     28  reserved   u32      zero
//     32  sha256     32 bytes of bytes 0-31 and the payload
//     64  payload, then zeros to the slot's end
//
// The checksum covers the header as well as the payload: a write torn inside the header (a new
// sequence number over an old payload) must not pass for a newer record. Bytes past the payload
// are not covered; writers write whole slots, so that they are zeros.

import { type Bytes, equals, sha256 } from '@p2pnode/core'

export const SLOT_FORMAT_VERSION = 1
export const SLOT_HEADER_BYTES = 64
/** Slots are whole pages: a slot write is page-aligned and never shares a page with the other slot. */
const PAGE_BYTES = 4096
/** A file is at most twice this; a record that outgrows it is refused (`slotBytesFor`). */
export const MAX_SLOT_BYTES = 128 * 1024
const MAGIC = new TextEncoder().encode('P2PNSLOT')
const MAX_SEQUENCE = 2n ** 64n - 1n

export interface Slot {
  index: 0 | 1
  sequence: bigint
  payload: Bytes
}

export type SlotRead =
  /** The newest valid slot, and the other one when it is valid too (and older). */
  | { kind: 'slots'; slotBytes: number; newest: Slot; older?: Slot }
  /** Neither slot begins with the magic: not a slot file at all. */
  | { kind: 'none' }
  /** A slot file with no valid slot. `version`: a slot says it is of another format. */
  | { kind: 'unreadable'; why: string; version?: number }

/**
 * The slot size for a payload: room for it twice over, so that a record that grows (a few more
 * entries) rarely needs a new file; undefined past MAX_SLOT_BYTES.
 */
export function slotBytesFor(payloadLength: number): number | undefined {
  if (SLOT_HEADER_BYTES + payloadLength > MAX_SLOT_BYTES) return undefined
  const roomy = Math.ceil((SLOT_HEADER_BYTES + 2 * payloadLength) / PAGE_BYTES) * PAGE_BYTES
  return Math.min(roomy, MAX_SLOT_BYTES)
}

/** Whether a payload fits a slot of `slotBytes`. */
export function fitsSlot(slotBytes: number, payloadLength: number): boolean {
  return SLOT_HEADER_BYTES + payloadLength <= slotBytes
}

/** One whole slot (header, payload, zeros), to be written at `index * slotBytes`. */
export function encodeSlot(slotBytes: number, sequence: bigint, payload: Bytes): Uint8Array {
  if (!isSlotSize(slotBytes) || !fitsSlot(slotBytes, payload.length)) throw new RangeError(`a payload of ${payload.length} bytes does not fit a slot of ${slotBytes}`)
  if (sequence < 0n || sequence > MAX_SEQUENCE) throw new RangeError(`sequence ${sequence} is out of range`)
  const slot = new Uint8Array(slotBytes)
  const view = new DataView(slot.buffer)
  slot.set(MAGIC, 0)
  view.setUint32(8, SLOT_FORMAT_VERSION)
  view.setUint32(12, slotBytes)
  view.setBigUint64(16, sequence)
  view.setUint32(24, payload.length)
  slot.set(payload, SLOT_HEADER_BYTES)
  slot.set(sha256(slot.subarray(0, 32), payload), 32)
  return slot
}

/** A new file: the record in slot 0, slot 1 empty (zeros, which no reader takes for a slot). */
export function encodeSlotFile(slotBytes: number, sequence: bigint, payload: Bytes): Uint8Array {
  const file = new Uint8Array(2 * slotBytes)
  file.set(encodeSlot(slotBytes, sequence, payload), 0)
  return file
}

/**
 * Reads both slots. Writes never change the file's length, so a file that is not exactly two
 * slots was cut short or added to, not torn by a crash: it is unreadable, whatever it still holds.
 * Two valid slots of one sequence must be the same.
 */
export function readSlots(bytes: Bytes): SlotRead {
  const slotBytes = bytes.length / 2
  if (!isSlotSize(slotBytes)) {
    if (!hasMagic(bytes, 0)) return { kind: 'none' }
    return { kind: 'unreadable', why: `${bytes.length} bytes are not two slots: the file was cut short or added to` }
  }
  const first = readSlot(bytes, 0, slotBytes)
  const second = readSlot(bytes, 1, slotBytes)
  if (!first.ok && !second.ok) {
    if (!first.magic && !second.magic) return { kind: 'none' }
    const version = [first, second].find((r): r is Failed => !r.ok && r.version !== undefined)?.version
    return { kind: 'unreadable', why: `${first.why}; ${second.why}`, ...(version !== undefined ? { version } : {}) }
  }
  const valid = [first, second].filter((r): r is Read => r.ok).map((r) => r.slot).sort((a, b) => (a.sequence > b.sequence ? -1 : a.sequence < b.sequence ? 1 : 0))
  const [newest, older] = valid as [Slot, Slot?]
  if (older && older.sequence === newest.sequence) {
    if (!equals(older.payload, newest.payload)) return { kind: 'unreadable', why: `both slots hold sequence ${newest.sequence}, with different records` }
    return { kind: 'slots', slotBytes, newest }
  }
  return { kind: 'slots', slotBytes, newest, ...(older ? { older } : {}) }
}

type Read = { ok: true; slot: Slot }
type Failed = { ok: false; why: string; magic: boolean; version?: number }
type SlotResult = Read | Failed

function readSlot(bytes: Bytes, index: 0 | 1, slotBytes: number): SlotResult {
  const offset = index * slotBytes
  const fail = (why: string, extra: Partial<Failed> = {}): Failed => ({ ok: false, why: `slot ${index}: ${why}`, magic: true, ...extra })
  if (!hasMagic(bytes, offset)) return { ok: false, why: `slot ${index}: no slot header`, magic: false }
  const header = bytes.subarray(offset, offset + SLOT_HEADER_BYTES)
  const view = new DataView(header.buffer, header.byteOffset, SLOT_HEADER_BYTES)
  const version = view.getUint32(8)
  if (version !== SLOT_FORMAT_VERSION) return fail(`format ${version}`, { version })
  const length = view.getUint32(24)
  if (view.getUint32(12) !== slotBytes || view.getUint32(28) !== 0 || !fitsSlot(slotBytes, length)) return fail('a header that does not hold together')
  const payload = bytes.subarray(offset + SLOT_HEADER_BYTES, offset + SLOT_HEADER_BYTES + length)
  if (!equals(sha256(header.subarray(0, 32), payload), header.subarray(32, 64))) return fail('checksum mismatch (a torn or damaged write)')
  return { ok: true, slot: { index, sequence: view.getBigUint64(16), payload } }
}

function hasMagic(bytes: Bytes, offset: number): boolean {
  return bytes.length >= offset + SLOT_HEADER_BYTES && equals(bytes.subarray(offset, offset + MAGIC.length), MAGIC)
}

function isSlotSize(n: number): boolean {
  return Number.isInteger(n) && n >= PAGE_BYTES && n <= MAX_SLOT_BYTES && n % PAGE_BYTES === 0
}
