// The two-slot format alone (signer-state.test.ts tears and damages it through the real record):
// sizes, what is not a slot file, and the bounds a writer may not cross.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  MAX_SLOT_BYTES,
  SLOT_HEADER_BYTES,
  encodeSlot,
  encodeSlotFile,
  fitsSlot,
  readSlots,
  slotBytesFor,
} from '../../../packages/node/src/home/slot-file.ts'

const bytes = (n: number, fill = 0x61) => new Uint8Array(n).fill(fill)

test('a new file reads back: slot 0 holds the record, slot 1 is empty', () => {
  const file = encodeSlotFile(4096, 1n, bytes(100))
  assert.is(file.length, 8192)
  const read = readSlots(file)
  assert.ok(read.kind === 'slots')
  assert.equal([read.slotBytes, read.newest.index, read.newest.sequence, read.newest.payload], [4096, 0, 1n, bytes(100)])
  assert.is(read.older, undefined)
})

test('slot sizes: whole pages, room to grow twice over, none past the largest slot', () => {
  assert.is(slotBytesFor(0), 4096)
  assert.is(slotBytesFor(2000), 4096)
  assert.is(slotBytesFor(2100), 8192, 'twice the record does not fit a page')
  assert.is(slotBytesFor(MAX_SLOT_BYTES - SLOT_HEADER_BYTES), MAX_SLOT_BYTES, 'the largest slot, without the room')
  assert.is(slotBytesFor(MAX_SLOT_BYTES - SLOT_HEADER_BYTES + 1), undefined)
  assert.ok(fitsSlot(4096, 4096 - SLOT_HEADER_BYTES))
  assert.not.ok(fitsSlot(4096, 4096 - SLOT_HEADER_BYTES + 1))
  assert.throws(() => encodeSlot(4096, 1n, bytes(4096 - SLOT_HEADER_BYTES + 1)), RangeError)
  assert.throws(() => encodeSlot(4000, 1n, bytes(10)), RangeError, 'not a whole page')
  assert.throws(() => encodeSlot(4096, 2n ** 64n, bytes(10)), RangeError, 'past a u64')
})

test('what is not a slot file is said to be none, not taken for a torn one', () => {
  assert.equal(readSlots(new Uint8Array(0)), { kind: 'none' })
  assert.equal(readSlots(new Uint8Array(8192)), { kind: 'none' }, 'zeros of two slots\' length')
  assert.equal(readSlots(new TextEncoder().encode(`{"version":1}${' '.repeat(8192 - 13)}`)), { kind: 'none' }, 'JSON of two slots\' length')
})

test('a slot header that is not this format, or whose size disagrees with the file, is no slot', () => {
  const file = encodeSlotFile(4096, 3n, bytes(10))
  const other = file.slice()
  new DataView(other.buffer).setUint32(8, 2)
  const read = readSlots(other)
  assert.ok(read.kind === 'unreadable' && read.version === 2, 'another format')
  const larger = new Uint8Array(16384)
  larger.set(file.subarray(0, 4096))
  assert.is(readSlots(larger).kind, 'unreadable', 'a slot of 4096 in a file of two 8192 slots')
})

test.run()
