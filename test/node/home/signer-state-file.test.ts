// The signer record's file never passes a torn or damaged copy for a good one: a crash mid-write
// leaves the record before it, damage fails closed with its code, a stale slot never wins, and
// older and outgrown files are rewritten whole.

import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ValidatorSigner, encodeVote, equals, toHex } from '../../../packages/core/src/index.ts'
import { tmpPathOf } from '../../../packages/node/src/home/atomic-write.ts'
import { SignerState, type SignerStateErrorCode, signerStatePath } from '../../../packages/node/src/home/signer-state.ts'
import { SLOT_HEADER_BYTES, encodeSlot, encodeSlotFile, readSlots } from '../../../packages/node/src/home/slot-file.ts'
import { BLOCK_A, BLOCK_B, ENTITY, Precommit, Prevote, newestPayload, rejects, reloadedView, signerHomes, vote } from './signer-helpers.ts'

const homes = signerHomes('p2pnode-signer-file-')
test.before(homes.open)
test.after(homes.close)

test('a torn tmp file left by a crash is ignored, and the next write removes it', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 3, 0, Prevote, BLOCK_A))
  await writeFile(tmpPathOf(state.path), '{"version":1,"validatorPublicKey":"ab', { mode: 0o644 })
  const reloaded = await SignerState.load(paths, key.publicKey)
  assert.is(reloaded.highWater(ENTITY)!.height, 3)
  await reloaded.record(vote(key, 3, 0, Precommit, BLOCK_A))
  assert.is(await stat(tmpPathOf(state.path)).then(() => true, () => false), false, 'removed')
  assert.is((await SignerState.load(paths, key.publicKey)).highWater(ENTITY)!.step, Precommit)
})

test('a damaged record fails closed, each with its code, in slots and as a format-1 file', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 3, 0, Prevote, BLOCK_A))
  await state.record(vote(key, 3, 0, Precommit, BLOCK_A))
  const good = await readFile(state.path)
  const payload = newestPayload(good)
  type Json = { version: number; validatorPublicKey: string; entities: Array<Record<string, unknown> & { votes: string[] }> }
  const json = () => JSON.parse(payload.toString()) as Json
  const flip = (hex: string) => hex.slice(0, -2) + (hex.endsWith('00') ? '01' : '00')
  // Content that does not hold together, checked the same in a slot (format 2) and bare (format 1).
  const contents: Array<[string, Json, SignerStateErrorCode]> = [
    ['a mark lowered by hand', { ...json(), entities: [{ ...json().entities[0]!, height: 1 }] }, 'SIGNER_STATE_CORRUPT'],
    ['a vote removed', { ...json(), entities: [{ ...json().entities[0]!, votes: [json().entities[0]!.votes[0]!] }] }, 'SIGNER_STATE_CORRUPT'],
    ['a signature changed', { ...json(), entities: [{ ...json().entities[0]!, votes: json().entities[0]!.votes.map(flip) }] }, 'SIGNER_STATE_CORRUPT'],
    ['no votes', { ...json(), entities: [{ ...json().entities[0]!, votes: [] }] }, 'SIGNER_STATE_CORRUPT'],
    ['another key', { ...json(), validatorPublicKey: toHex(new ValidatorSigner(new Uint8Array(32).fill(99)).publicKey) }, 'SIGNER_STATE_WRONG_KEY'],
    ['another format', { ...json(), version: 7 }, 'SIGNER_STATE_VERSION'],
  ]
  for (const [what, content, code] of contents) {
    await writeFile(state.path, encodeSlotFile(4096, 1n, Buffer.from(JSON.stringify(content))))
    await rejects(() => SignerState.load(paths, key.publicKey), code, `${what}, in a slot`)
    await writeFile(state.path, JSON.stringify({ ...content, version: content.version === 2 ? 1 : content.version }))
    await rejects(() => SignerState.load(paths, key.publicKey), code, `${what}, as format 1`)
  }
  const otherSlotFormat = Buffer.from(good)
  for (const offset of [0, 4096]) otherSlotFormat.writeUInt32BE(9, offset + 8)
  const files: Array<[string, Uint8Array | string, SignerStateErrorCode]> = [
    ['empty', '', 'SIGNER_STATE_CORRUPT'],
    ['format-1 JSON cut short', payload.toString().replace('"version": 2', '"version": 1').slice(0, payload.length / 2), 'SIGNER_STATE_CORRUPT'],
    ['a format-2 record taken out of its slot', payload, 'SIGNER_STATE_VERSION'],
    ['slots of a later format', otherSlotFormat, 'SIGNER_STATE_VERSION'],
    ['cut inside slot 0', good.subarray(0, 100), 'SIGNER_STATE_CORRUPT'],
    ['cut inside slot 1 (slot 0 whole)', good.subarray(0, good.length / 2 + 100), 'SIGNER_STATE_CORRUPT'],
    ['bytes past the slots', Buffer.concat([good, Buffer.alloc(16)]), 'SIGNER_STATE_CORRUPT'],
    ['far too large', ' '.repeat(300 * 1024), 'SIGNER_STATE_CORRUPT'],
  ]
  for (const [what, content, code] of files) {
    await writeFile(state.path, content)
    await rejects(() => SignerState.load(paths, key.publicKey), code, what)
  }
  // a file that cannot be read at all is not taken for "no record"
  await writeFile(state.path, good)
  await chmod(state.path, 0o000)
  if (process.getuid?.() !== 0) await rejects(() => SignerState.load(paths, key.publicKey), 'SIGNER_STATE_CORRUPT', 'unreadable')
  await chmod(state.path, 0o600)
  assert.is((await SignerState.load(paths, key.publicKey)).highWater(ENTITY)!.height, 3, 'the good file loads')
})

test('each record goes to the slot not holding the newest record: both slots stay valid, the newest wins', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 1, 0, Prevote, BLOCK_A))
  const file = async () => readSlots(await readFile(state.path))
  let read = await file()
  assert.ok(read.kind === 'slots' && read.newest.index === 0 && read.older === undefined, 'a new file: slot 0 only')
  for (const [i, v] of [vote(key, 1, 0, Precommit, BLOCK_A), vote(key, 2, 0, Prevote, null), vote(key, 2, 0, Precommit, null)].entries()) {
    await state.record(v)
    read = await file()
    assert.ok(read.kind === 'slots', `record ${i}`)
    assert.is(read.newest.index, i % 2 === 0 ? 1 : 0, `record ${i} goes to the other slot`)
    assert.is(read.older?.sequence, read.newest.sequence - 1n, `record ${i}: the older slot holds the record before`)
  }
  assert.is(await reloadedView(paths, key), '2/0/2 votes 0/1,0/2', 'the stale slot (2/0/1) does not win')
  await state.close()
  await state.record(vote(key, 3, 0, Prevote, BLOCK_B)) // opens the file again
  assert.is(await reloadedView(paths, key), '3/0/1 votes 0/1')
})

test('a write torn at any point, or scribbled over, leaves the record before it (never a mix)', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  const votes = [vote(key, 1, 0, Prevote, BLOCK_A), vote(key, 1, 0, Precommit, BLOCK_A), vote(key, 2, 0, Prevote, BLOCK_B), vote(key, 2, 0, Precommit, BLOCK_B)]
  const files: Buffer[] = []
  const views: string[] = []
  for (const v of votes) {
    await state.record(v)
    files.push(await readFile(state.path))
    views.push(await reloadedView(paths, key))
  }
  await state.close()
  const slotBytes = files[0]!.length / 2
  // writes 2, 3, 4: slot 1 over zeros, slot 0 over a record, slot 1 over a record
  for (let i = 1; i < votes.length; i++) {
    const [before, after] = [files[i - 1]!, files[i]!]
    const index = i % 2
    const offset = index * slotBytes
    const written = SLOT_HEADER_BYTES + after.readUInt32BE(offset + 24)
    /** The torn file loads as the record after only when the new slot's header and payload all landed. */
    const check = async (torn: Buffer, what: string) => {
      await writeFile(state.path, torn)
      const landed = equals(torn.subarray(offset, offset + written), after.subarray(offset, offset + written))
      assert.is(await reloadedView(paths, key), landed ? views[i] : views[i - 1], `write ${i + 1} to slot ${index}, ${what}`)
    }
    for (const cut of [1, 8, 12, 16, 20, 24, 28, 32, 48, 63, 64, 65, 200, 512, written - 1, 1024, 2048, slotBytes - 1]) {
      const at = offset + cut
      await check(Buffer.concat([after.subarray(0, at), before.subarray(at)]), `new bytes up to ${cut}, old after`)
      await check(Buffer.concat([before.subarray(0, at), after.subarray(at)]), `old bytes up to ${cut}, new after`)
    }
    for (const [from, to] of [[16, 24], [24, 28], [32, 40], [SLOT_HEADER_BYTES + 10, SLOT_HEADER_BYTES + 50], [written - 3, written]] as const) {
      const scribbled = Buffer.from(after)
      scribbled.fill(0xff, offset + from, offset + to)
      await check(scribbled, `bytes ${from}-${to} scribbled over`)
    }
  }
})

test('both slots damaged fails closed', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 4, 0, Prevote, BLOCK_A))
  await state.record(vote(key, 4, 0, Precommit, BLOCK_A))
  const good = await readFile(state.path)
  const slotBytes = good.length / 2
  for (const [what, from, to] of [['payloads', SLOT_HEADER_BYTES + 20, SLOT_HEADER_BYTES + 21], ['headers', 0, 8], ['whole slots', 0, slotBytes]] as const) {
    const bad = Buffer.from(good)
    for (const offset of [0, slotBytes]) bad.fill(0x5a, offset + from, offset + to)
    await writeFile(state.path, bad)
    await rejects(() => SignerState.load(paths, key.publicKey), 'SIGNER_STATE_CORRUPT', what)
  }
  for (const [what, bad] of [['slot 0', 0], ['slot 1', slotBytes]] as const) {
    const one = Buffer.from(good)
    one[bad + SLOT_HEADER_BYTES + 20]! ^= 1
    await writeFile(state.path, one)
    assert.ok((await SignerState.load(paths, key.publicKey)).highWater(ENTITY), `${what} alone damaged: the other loads`)
  }
})

test('a stale slot never wins: a wrapped or equal sequence fails closed, the order is by sequence not by place', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 6, 0, Prevote, BLOCK_A))
  const older = newestPayload(await readFile(state.path))
  await state.record(vote(key, 6, 0, Precommit, BLOCK_A))
  const newer = newestPayload(await readFile(state.path))
  const slotBytes = (await readFile(state.path)).length / 2
  const file = (slot0: [bigint, Buffer], slot1: [bigint, Buffer]) => Buffer.concat([encodeSlot(slotBytes, ...slot0), encodeSlot(slotBytes, ...slot1)])
  await writeFile(state.path, file([9n, newer], [8n, older]))
  assert.is(await reloadedView(paths, key), '6/0/2 votes 0/1,0/2', 'the newer in slot 0')
  await writeFile(state.path, file([8n, older], [9n, newer]))
  assert.is(await reloadedView(paths, key), '6/0/2 votes 0/1,0/2', 'the newer in slot 1')
  // a counter that wrapped: the stale record holds the highest sequence
  await writeFile(state.path, file([2n ** 64n - 1n, older], [0n, newer]))
  await rejects(() => SignerState.load(paths, key.publicKey), 'SIGNER_STATE_CORRUPT', 'a wrapped sequence')
  await writeFile(state.path, file([5n, older], [5n, newer]))
  await rejects(() => SignerState.load(paths, key.publicKey), 'SIGNER_STATE_CORRUPT', 'one sequence, two records')
})

test('a format-1 file (bare JSON) loads, and the first vote recorded rewrites it in slots', async () => {
  const { paths, key } = await homes.fresh()
  const prevote = vote(key, 12, 1, Prevote, BLOCK_A)
  const path = signerStatePath(paths.keys, key.publicKey)
  const entity = { entity: toHex(ENTITY), height: 12, round: 1, step: Prevote, blockHash: toHex(BLOCK_A), votes: [toHex(encodeVote(prevote))] }
  const legacy = `${JSON.stringify({ version: 1, validatorPublicKey: toHex(key.publicKey), entities: [entity] }, null, 2)}\n`
  await writeFile(path, legacy, { mode: 0o600 })
  const state = await SignerState.load(paths, key.publicKey)
  assert.equal(state.highWater(ENTITY), { height: 12, round: 1, step: Prevote, blockHash: BLOCK_A })
  await rejects(() => state.record(vote(key, 12, 0, Precommit, BLOCK_B)), 'SIGNER_REGRESSION', 'below the format-1 mark')
  await state.record(prevote) // already in it
  assert.is(await readFile(path, 'utf8'), legacy, 'loading, refusing and re-recording rewrite nothing')
  await state.record(vote(key, 12, 1, Precommit, BLOCK_A))
  assert.is(readSlots(await readFile(path)).kind, 'slots')
  assert.is((await stat(path)).mode & 0o777, 0o600)
  assert.is(await reloadedView(paths, key), '12/1/2 votes 1/1,1/2', 'the format-1 vote is kept beside the new one')
  await state.record(vote(key, 13, 0, Prevote, null)) // and the next goes in place
  assert.is(await reloadedView(paths, key), '13/0/1 votes 0/1')
})

test('a record that outgrows its slots moves to a larger file, whole', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  const entities = Array.from({ length: 6 }, (_, i) => new Uint8Array(32).fill(0x40 + i))
  for (const entity of entities) {
    await state.record(vote(key, 1, 0, Prevote, BLOCK_A, entity))
    await state.record(vote(key, 1, 0, Precommit, BLOCK_A, entity))
  }
  assert.ok((await stat(state.path)).size > 2 * 4096, `${(await stat(state.path)).size} bytes`)
  const reloaded = await SignerState.load(paths, key.publicKey)
  for (const [i, entity] of entities.entries()) assert.equal(reloaded.highWater(entity), { height: 1, round: 0, step: Precommit, blockHash: BLOCK_A }, `entity ${i}`)
  await reloaded.record(vote(key, 2, 0, Prevote, BLOCK_B, entities[0]))
  assert.is((await SignerState.load(paths, key.publicKey)).highWater(entities[0]!)!.height, 2)
})

test.run()
