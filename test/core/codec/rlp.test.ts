import { RLP } from '@ethereumjs/rlp'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'
import { type Bytes, concat, equals, fromHex } from '../../../packages/core/src/bytes.ts'
import { encodeBlock, encodeCommit, encodeFrame, encodeVote } from '../../../packages/core/src/codec/objects.ts'
import {
  MAX_RLP_DEPTH,
  type RlpItem,
  asUint,
  decodeRlp,
  encodeRlp,
  encodeString,
  encodeUint,
  maxRlpItems,
} from '../../../packages/core/src/codec/rlp.ts'
import { encodeGenesis } from '../../../packages/core/src/machines/genesis.ts'
import { encodeCandidates, encodeCounterAdd, encodeValidators } from '../../../packages/core/src/machines/payloads.ts'
import { Server } from '../../../packages/core/src/machines/server.ts'
import { encodeServerInput } from '../../../packages/core/src/machines/server-input.ts'
import { MemoryStore } from '../../../packages/core/src/storage/memory.ts'
import { serverRootKey } from '../../../packages/core/src/storage/schema.ts'
import { TxKind, VoteStep } from '../../../packages/core/src/types/chain.ts'
// Node-side wire objects, encoded by their real encoders: the decoder's default limits must fit them too.
import { encodeBlocks, encodeSyncRequest } from '../../../packages/node/src/sync/protocol.ts'

// Valid vectors from the RLP specification.
const VALID: Array<[string, string]> = [
  ['80', 'empty string'],
  ['00', 'byte 0x00'],
  ['7f', 'byte 0x7f'],
  ['8180', 'byte 0x80'],
  ['83646f67', '"dog"'],
  ['c0', 'empty list'],
  ['c7c0c1c0c3c0c1c0', 'set theoretical representation of three'],
  ['b8380000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000', '56-byte string'],
]

for (const [hex, name] of VALID) {
  test(`decodes and re-encodes ${name}`, () => {
    const bytes = fromHex(hex)
    assert.equal(encodeRlp(decodeRlp(bytes, 1024)), bytes)
  })
}

const INVALID: Array<[string, string, string]> = [
  ['8100', 'single byte below 0x80 wrapped in a string prefix', 'CODEC_MALFORMED'],
  ['b801ff', 'long form for a short string', 'CODEC_MALFORMED'],
  ['83646f', 'string shorter than its prefix', 'CODEC_MALFORMED'],
  ['83646f6767', 'trailing byte after a string', 'CODEC_TRAILING_BYTES'],
  ['c0c0', 'two top-level items', 'CODEC_TRAILING_BYTES'],
  ['c3646f', 'list shorter than its prefix', 'CODEC_MALFORMED'],
  ['f80100', 'long form for a short list', 'CODEC_MALFORMED'],
  ['b900380000', 'length with a leading zero', 'CODEC_MALFORMED'],
  ['', 'no bytes at all', 'CODEC_MALFORMED'],
]

for (const [hex, name, expected] of INVALID) {
  test(`rejects ${name}`, () => {
    const got = code(() => decodeRlp(fromHex(hex), 1024))
    // Every non-canonical form must be refused; the precise code depends on which check meets it first.
    assert.ok(got === expected || got === 'CODEC_NON_CANONICAL' || got === 'CODEC_MALFORMED', `${name}: ${got}`)
    assert.ok(got !== undefined, `${name} was accepted`)
  })
}

test('checks the size before decoding', () => {
  assert.is(code(() => decodeRlp(new Uint8Array(2000), 1024)), 'CODEC_TOO_LARGE')
})

test('integers are canonical: no leading zero, zero is empty', () => {
  assert.equal(encodeUint(0), new Uint8Array(0))
  assert.equal(encodeUint(256), fromHex('0100'))
  assert.is(asUint(fromHex('0100'), 'n'), 256)
  assert.is(code(() => asUint(fromHex('0001'), 'n')), 'CODEC_BAD_FIELD')
  assert.is(code(() => asUint(fromHex('00'), 'n')), 'CODEC_BAD_FIELD')
  assert.is(code(() => asUint(fromHex('0102030405060708'), 'n')), 'CODEC_BAD_FIELD')
  assert.is(asUint(encodeUint(Number.MAX_SAFE_INTEGER), 'n'), Number.MAX_SAFE_INTEGER)
})

const CODEC_CODES = ['CODEC_MALFORMED', 'CODEC_NON_CANONICAL', 'CODEC_TRAILING_BYTES', 'CODEC_TOO_DEEP', 'CODEC_TOO_MANY_ITEMS']

/** Items (strings and lists, the outermost included) and depth in lists of a tree, without recursion. */
function shape(item: RlpItem): { items: number; depth: number } {
  let items = 0
  let depth = 0
  const stack: Array<[RlpItem, number]> = [[item, 0]]
  while (stack.length > 0) {
    const [next, level] = stack.pop()!
    items++
    if (Array.isArray(next)) {
      depth = Math.max(depth, level + 1)
      for (const child of next) stack.push([child, level + 1])
    }
  }
  return { items, depth }
}

/** Every string leaf of a tree. */
function strings(item: RlpItem): Bytes[] {
  return Array.isArray(item) ? item.flatMap(strings) : [item]
}

// ---- canonical form, checked while parsing: each case names the one rule it breaks

const zeros = (n: number) => '00'.repeat(n)

const NON_CANONICAL: Array<[string, string]> = [
  ['8100', 'byte 0x00 wrapped in a one-byte string'],
  ['817f', 'byte 0x7f wrapped in a one-byte string'],
  ['b800', 'empty string in the long form'],
  ['b80100', 'one-byte string in the long form'],
  [`b837${zeros(55)}`, '55-byte string in the long form'],
  [`b90038${zeros(56)}`, 'string length with a leading zero'],
  [`ba000038${zeros(56)}`, 'string length with two leading zeros'],
  ['f800', 'empty list in the long form'],
  [`f837b6${zeros(54)}`, '55-byte list in the long form'],
  [`f90038b7${zeros(55)}`, 'list length with a leading zero'],
  ['c28100', 'a wrapped byte inside a list'],
  ['c3b80100', 'a long-form short string inside a list'],
  ['c4c3c28100', 'a wrapped byte two lists down'],
  ['c3c0f800', 'a long-form empty list after a sibling'],
]

for (const [hex, name] of NON_CANONICAL) {
  test(`refuses a non-minimal form: ${name}`, () => {
    assert.is(code(() => decodeRlp(fromHex(hex), 1024)), 'CODEC_NON_CANONICAL', name)
  })
}

const MALFORMED: Array<[string, string, string]> = [
  ['', 'no bytes at all', 'CODEC_MALFORMED'],
  ['83646f', 'a string past the end of the input', 'CODEC_MALFORMED'],
  ['c3646f', 'a list past the end of the input', 'CODEC_MALFORMED'],
  ['c1', 'a list with none of its payload', 'CODEC_MALFORMED'],
  ['b9', 'a long-form string with no length bytes', 'CODEC_MALFORMED'],
  ['f901', 'a long-form list with one of its two length bytes', 'CODEC_MALFORMED'],
  ['bfffffffffffffffff', 'a length of 2^64 - 1', 'CODEC_MALFORMED'],
  ['c283616263', 'a string past the end of its list (not of the input)', 'CODEC_MALFORMED'],
  ['c2c3c0c0c0', 'a list past the end of its parent (not of the input)', 'CODEC_MALFORMED'],
  ['c1b9', 'long-form length bytes past the end of the parent', 'CODEC_MALFORMED'],
  ['0000', 'a second top-level byte', 'CODEC_TRAILING_BYTES'],
  ['c0c0', 'a second top-level list', 'CODEC_TRAILING_BYTES'],
  ['c3c2c0c0c0', 'a byte after a complete list', 'CODEC_TRAILING_BYTES'],
]

for (const [hex, name, expected] of MALFORMED) {
  test(`refuses ${name} with ${expected}`, () => {
    assert.is(code(() => decodeRlp(fromHex(hex), 1024)), expected, name)
  })
}

test('accepts the minimal form on each side of every boundary', () => {
  const cases: Array<[string, RlpItem]> = [
    ['80', new Uint8Array(0)],
    ['7f', fromHex('7f')],
    ['8180', fromHex('80')],
    [`b7${zeros(55)}`, new Uint8Array(55)],
    [`b838${zeros(56)}`, new Uint8Array(56)],
    [`b90100${zeros(256)}`, new Uint8Array(256)],
    [`f7b6${zeros(54)}`, [new Uint8Array(54)]],
    [`f838b7${zeros(55)}`, [new Uint8Array(55)]],
  ]
  for (const [hex, item] of cases) {
    assert.equal(decodeRlp(fromHex(hex), 1024), item, hex.slice(0, 8))
  }
})

test('checks the size before anything else, even on bytes that are not RLP', () => {
  assert.is(code(() => decodeRlp(fromHex('ffffffff'), 3)), 'CODEC_TOO_LARGE')
})

// ---- bounds

/** `levels` lists around the byte 0x01. */
function nest(levels: number): Bytes {
  let item: RlpItem = fromHex('01')
  for (let i = 0; i < levels; i++) item = [item]
  return encodeRlp(item)
}

test('lists nest at most MAX_RLP_DEPTH deep by default, or limits.maxDepth', () => {
  assert.is(MAX_RLP_DEPTH, 16)
  assert.is(code(() => decodeRlp(nest(MAX_RLP_DEPTH), 1024)), undefined)
  assert.is(code(() => decodeRlp(nest(MAX_RLP_DEPTH + 1), 1024)), 'CODEC_TOO_DEEP')
  assert.is(code(() => decodeRlp(nest(2), 1024, 'x', { maxDepth: 2 })), undefined)
  assert.is(code(() => decodeRlp(nest(3), 1024, 'x', { maxDepth: 2 })), 'CODEC_TOO_DEEP')
  assert.is(code(() => decodeRlp(nest(0), 1024, 'x', { maxDepth: 0 })), undefined)
  assert.is(code(() => decodeRlp(fromHex('c0'), 1024, 'x', { maxDepth: 0 })), 'CODEC_TOO_DEEP')
  // depth is nesting, not the number of lists: closed lists give their level back
  const wide = encodeRlp([[[fromHex('01')]], [[fromHex('02')]], [[]], []])
  assert.is(code(() => decodeRlp(wide, 1024, 'x', { maxDepth: 3 })), undefined)
  assert.is(code(() => decodeRlp(wide, 1024, 'x', { maxDepth: 2 })), 'CODEC_TOO_DEEP')
})

test('a decode holds at most maxRlpItems(size) items by default, or limits.maxItems', () => {
  for (let k = 0; k <= 200; k++) {
    const list = encodeRlp(Array.from({ length: k }, () => fromHex('01')))
    const fits = k + 1 <= maxRlpItems(list.length)
    assert.is(code(() => decodeRlp(list, 1024)), fits ? undefined : 'CODEC_TOO_MANY_ITEMS', `a list of ${k} bytes`)
  }
  const tree = encodeRlp([[fromHex('01'), fromHex('02')], [fromHex('03')]]) // 6 items
  assert.is(code(() => decodeRlp(tree, 1024, 'x', { maxItems: 6 })), undefined)
  assert.is(code(() => decodeRlp(tree, 1024, 'x', { maxItems: 5 })), 'CODEC_TOO_MANY_ITEMS')
  assert.is(code(() => decodeRlp(fromHex('05'), 1024, 'x', { maxItems: 0 })), 'CODEC_TOO_MANY_ITEMS')
})

test('every real object fits well inside the default limits (at most half the items, depth 5)', async () => {
  const chain = makeChain()
  const account = chain.validators[0]!.account
  const tx = chain.tx(account, 0, TxKind.CounterAdd, encodeCounterAdd(1))
  const hash = new Uint8Array(32).fill(9)
  const header = { network: chain.network, entity: chain.entity, height: 7, time: chain.genesis.time + 100, parentHash: hash, proposer: 0, txsHash: hash, stateRoot: hash, validatorsHash: hash }
  const validators = Array.from({ length: 1024 }, () => ({ publicKey: new Uint8Array(48).fill(1), account: new Uint8Array(20).fill(2), shares: 1, proofOfPossession: new Uint8Array(96).fill(3) }))
  const commit = encodeCommit(chain.commit(7, hash))
  const block20k = encodeBlock({ header, txs: Array(20_000).fill(tx) })
  const vote = encodeVote({ network: chain.network, entity: chain.entity, height: 7, round: 0, step: VoteStep.Prevote, blockHash: hash, validator: 3, signature: new Uint8Array(96) })
  const txInput = encodeServerInput([[chain.entity, [encodeString('tx'), tx]]])

  // The deepest object we encode: a server root whose validator signer has recorded a vote.
  const store = new MemoryStore()
  const serverId = new Uint8Array(32).fill(0xaa)
  const server = await Server.open({ id: serverId, store, entities: [chain.genesis], validatorSeeds: [seed('v-bls-0')], accountSeeds: [] })
  const signed = server.receive(encodeServerInput([[chain.validators[0]!.bls.id, [encodeString('vote'), encodeString(chain.network), chain.entity, encodeUint(0), encodeUint(1), encodeUint(0), encodeUint(VoteStep.Prevote), hash]]]))
  assert.is(signed[0]!.type, 'vote.signed')
  await server.seal(1000)
  const serverRoot = (await store.get(serverRootKey(serverId)))!

  const objects: Array<[string, Bytes]> = [
    ['transaction', tx],
    ['block of 20,000 txs', block20k],
    ['block of 1 tx', encodeBlock({ header, txs: [tx] })],
    ['tx batch of 1,000 txs', encodeRlp(Array(1000).fill(tx))],
    ['frame of 1,000 tx inputs', encodeFrame({ height: 1, prevHash: hash, time: 5, inputs: Array(1000).fill(txInput), stateHash: hash })],
    ['server input', txInput],
    ['validators in state, 1,024', encodeRlp(encodeValidators(validators))],
    ['validator candidates, 1,024', encodeRlp(encodeCandidates(validators))],
    ['genesis', encodeGenesis(chain.genesis)],
    ['vote', vote],
    ['commit', commit],
    ['sync request blocks', encodeSyncRequest({ type: 'blocks', from: 1_000_000, count: 50 })],
    ['sync request status', encodeSyncRequest({ type: 'status' })],
    ['sync response of 50 blocks', encodeBlocks(Array(50).fill({ block: encodeBlock({ header, txs: [tx] }), commit }))],
    ['params', encodeRlp([encodeUint(100), encodeUint(20_000), encodeUint(8 << 20)])],
    ['counter', encodeRlp(encodeUint(0))],
    ['server root', serverRoot],
  ]
  let deepest = 0
  for (const [name, bytes] of objects) {
    const { items, depth } = shape(decodeRlp(bytes, bytes.length, name))
    assert.ok(items <= maxRlpItems(bytes.length) / 2, `${name}: ${items} items of ${maxRlpItems(bytes.length)}`)
    deepest = Math.max(deepest, depth)
  }
  assert.is(shape(decodeRlp(serverRoot, serverRoot.length)).depth, 5, 'the server root nests 5 lists')
  assert.is(deepest, 5, 'nothing nests deeper than the server root')
})

// ---- zero copy

test('decoded strings are views of the input: same buffer, nothing copied', () => {
  const chain = makeChain()
  const tx = chain.tx(chain.validators[0]!.account, 0, TxKind.CounterAdd, encodeCounterAdd(1))
  const block = encodeBlock({
    header: { network: 'n', entity: chain.entity, height: 1, time: 2, parentHash: new Uint8Array(32), proposer: 0, txsHash: new Uint8Array(32), stateRoot: new Uint8Array(32), validatorsHash: new Uint8Array(32) },
    txs: [tx, tx],
  })
  // The input sits at an offset in a larger buffer, as network reads and Buffer pools hand it over.
  const backing = new Uint8Array(block.length + 20)
  backing.set(block, 7)
  const input = backing.subarray(7, 7 + block.length)
  const decoded = decodeRlp(input, input.length)
  const leaves = strings(decoded)
  assert.is(leaves.length, 9 + 2)
  for (const [i, leaf] of leaves.entries()) {
    assert.ok(leaf.buffer === backing.buffer, `leaf ${i} shares the input's buffer`)
    assert.ok(leaf.byteOffset >= input.byteOffset && leaf.byteOffset + leaf.length <= input.byteOffset + input.length, `leaf ${i} lies inside the input`)
  }
  const firstTx = (decoded as RlpItem[][])[1]![0] as Bytes
  assert.equal(firstTx, tx)
  backing[firstTx.byteOffset] = backing[firstTx.byteOffset]! ^ 0xff
  assert.is(firstTx[0], tx[0]! ^ 0xff, 'a write to the input shows through the decoded item')

  const buffer = Buffer.from(block) // small Buffers come from Node's shared pool, at an offset
  for (const leaf of strings(decodeRlp(buffer, buffer.length))) assert.ok(leaf.buffer === buffer.buffer)
})

// ---- against @ethereumjs/rlp: random valid trees round-trip, random bytes are judged alike

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function seeded(seedValue: number): () => number {
  let a = seedValue
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

// String lengths on each side of the RLP boundaries (1, 55/56, 255/256), and a rare 3-byte length.
const LENGTHS = [0, 1, 1, 1, 1, 2, 3, 20, 32, 54, 55, 56, 57, 96, 255, 256, 300]

/** A random tree of at most about `budget.left` items (the budget keeps wide lists from compounding). */
function randomTree(rand: () => number, level: number, budget = { left: 300 }): RlpItem {
  budget.left--
  if (level >= 8 || budget.left <= 0 || rand() < 0.5) {
    const length = rand() < 0.002 ? 70_000 : LENGTHS[Math.floor(rand() * LENGTHS.length)]!
    const bytes = new Uint8Array(length)
    for (let i = 0; i < Math.min(length, 64); i++) bytes[i] = Math.floor(rand() * 256)
    return bytes
  }
  const count = rand() < 0.1 ? 20 + Math.floor(rand() * 60) : Math.floor(rand() * 6)
  const list: RlpItem[] = []
  for (let i = 0; i < count && budget.left > 0; i++) list.push(randomTree(rand, level + 1, budget))
  return list
}

/** The decoder this one replaced: accepts exactly what @ethereumjs/rlp decodes and re-encodes to the same bytes. */
function oldAccepts(bytes: Bytes): boolean {
  try {
    return equals(RLP.encode(RLP.decode(bytes)), bytes)
  } catch {
    return false
  }
}

test('3,000 random valid trees decode to what was encoded, views and all', () => {
  const rand = seeded(20240501)
  for (let n = 0; n < 3000; n++) {
    const tree = randomTree(rand, 0)
    const encoded = encodeRlp(tree)
    // Random trees are denser than any real object: every item takes at least one byte.
    const decoded = decodeRlp(encoded, encoded.length, 'tree', { maxItems: encoded.length })
    assert.equal(decoded, tree, `tree ${n}`)
    assert.equal(decoded, RLP.decode(encoded) as RlpItem, `tree ${n} as @ethereumjs/rlp decodes it`)
    assert.ok(equals(encodeRlp(decoded), encoded), `tree ${n} re-encodes to its bytes`)
  }
})

test('mutated and random bytes: only CoreErrors, and accepted exactly when the old decoder accepted', () => {
  const rand = seeded(7)
  const judge = (bytes: Bytes, label: string) => {
    const got = code(() => decodeRlp(bytes, bytes.length, 'fuzz', { maxItems: bytes.length }))
    assert.ok(got === undefined || CODEC_CODES.includes(got), `${label}: ${got}`)
    if ((got === undefined) !== oldAccepts(bytes)) {
      assert.unreachable(`${label} (${Buffer.from(bytes.subarray(0, 40)).toString('hex')}...): ours ${got ?? 'accepted'}, the old decoder disagrees`)
    }
  }
  for (let n = 0; n < 1000; n++) {
    const encoded = encodeRlp(randomTree(rand, 0))
    const at = Math.floor(rand() * encoded.length)
    const flipped = encoded.slice()
    flipped[at] = Math.floor(rand() * 256)
    judge(flipped, `tree ${n} with byte ${at} replaced`)
    judge(encoded.subarray(0, at), `tree ${n} cut at ${at}`)
    judge(concat(encoded.subarray(0, at), new Uint8Array([Math.floor(rand() * 256)]), encoded.subarray(at)), `tree ${n} with a byte inserted at ${at}`)
  }
  for (let n = 0; n < 10_000; n++) {
    const bytes = new Uint8Array(1 + Math.floor(rand() * 24))
    for (let i = 0; i < bytes.length; i++) bytes[i] = rand() < 0.3 ? 0xb8 + Math.floor(rand() * 72) : Math.floor(rand() * 256)
    judge(bytes, `random bytes ${n}`)
  }
})

test.run()
