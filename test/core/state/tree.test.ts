import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Bytes, concat, toHex, utf8 } from '../../../packages/core/src/bytes.ts'
import { sha256 } from '../../../packages/core/src/hash.ts'
import { EMPTY_STATE_ROOT, StateTree } from '../../../packages/core/src/state/tree.ts'

// The node hashes, written out again from the spec so the tree is checked against it.
const ZERO = new Uint8Array(32)
const leafHash = (key: Bytes, value: Bytes) => sha256(Uint8Array.of(0), sha256(key), sha256(value))
const internalHash = (left: Bytes, right: Bytes) => sha256(Uint8Array.of(1), left, right)
const bit = (key: Bytes, depth: number) => (sha256(key)[depth >> 3]! >> (7 - (depth & 7))) & 1

/** Seeded PRNG (mulberry32), so every run sees the same "random" orders. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const key = (i: number) => utf8(`key/${i}`)
const value = (i: number) => utf8(`value ${i} `.repeat(1 + (i % 5)))

function entries(count: number, from = 0): [Bytes, Bytes][] {
  return Array.from({ length: count }, (_, i) => [key(from + i), value(from + i)] as [Bytes, Bytes])
}

function build(items: Iterable<[Bytes, Bytes]>): StateTree {
  let tree = StateTree.empty()
  for (const [k, v] of items) tree = tree.set(k, v)
  return tree
}

/** The first keys named `${prefix}${i}` whose hashes start with the given bits. */
function keyWithBits(prefix: string, bits: number[]): Bytes {
  for (let i = 0; ; i++) {
    const candidate = utf8(`${prefix}${i}`)
    if (bits.every((b, depth) => bit(candidate, depth) === b)) return candidate
  }
}

test('the empty tree has the zero root and nothing in it', () => {
  const tree = StateTree.empty()
  assert.equal(tree.root(), ZERO)
  assert.equal(EMPTY_STATE_ROOT, ZERO)
  assert.is(tree.size, 0)
  assert.is(tree.get(key(1)), undefined)
  assert.is(tree.has(key(1)), false)
  assert.equal([...tree.entries()], [])
})

test('the root follows the documented node hashes, with lone leaves lifted', () => {
  const a = keyWithBits('a', [0, 0])
  const b = keyWithBits('b', [0, 1])
  const c = keyWithBits('c', [1])
  const [va, vb, vc] = [utf8('A'), utf8('B'), utf8('C')]

  const one = StateTree.empty().set(a, va)
  assert.equal(one.root(), leafHash(a, va), 'a single leaf is the root')

  const two = one.set(b, vb)
  // a and b share bit 0, so they part at depth 1 under a node whose right side is empty
  assert.equal(two.root(), internalHash(internalHash(leafHash(a, va), leafHash(b, vb)), ZERO))

  const three = two.set(c, vc)
  assert.equal(three.root(), internalHash(internalHash(leafHash(a, va), leafHash(b, vb)), leafHash(c, vc)))

  // removing b leaves a alone: it rises past the node it shared with b, to depth 1
  assert.equal(three.delete(b).root(), internalHash(leafHash(a, va), leafHash(c, vc)))
  assert.equal(two.delete(b).root(), leafHash(a, va), 'and to the root when nothing else is left')
})

test('the root does not depend on the order of inserts', () => {
  const random = mulberry32(7)
  const items = entries(400)
  const expected = build(items).root()
  for (let round = 0; round < 6; round++) {
    assert.equal(build(shuffled(items, random)).root(), expected, `permutation ${round}`)
  }
  assert.equal(StateTree.fromEntries(shuffled(items, random)).root(), expected, 'fromEntries')
})

test('the root does not depend on keys that came and went', () => {
  const random = mulberry32(11)
  const items = entries(200)
  const extra = entries(100, 1000)
  const ops = shuffled([...items.map((e) => ['set', e] as const), ...extra.map((e) => ['set', e] as const)], random)
  let tree = StateTree.empty()
  for (const [, [k, v]] of ops) tree = tree.set(k, v)
  for (const [k] of shuffled(extra, random)) tree = tree.delete(k)
  assert.is(tree.size, 200)
  assert.equal(tree.root(), StateTree.fromEntries(items).root())
})

test('deleting every key, in any order, ends at the empty root; every step is canonical', () => {
  const random = mulberry32(3)
  const items = entries(120)
  const remaining = new Map(items.map(([k, v]) => [toHex(k), [k, v] as [Bytes, Bytes]]))
  let tree = StateTree.fromEntries(items)
  for (const [k] of shuffled(items, random)) {
    tree = tree.delete(k)
    remaining.delete(toHex(k))
    assert.is(tree.size, remaining.size)
    assert.equal(tree.root(), StateTree.fromEntries(remaining.values()).root(), `after deleting ${toHex(k)}`)
  }
  assert.equal(tree.root(), ZERO)
  assert.equal([...tree.entries()], [])
})

test('set then delete of a new key restores the previous root exactly', () => {
  const base = StateTree.fromEntries(entries(300))
  const before = base.root()
  for (let i = 0; i < 100; i++) {
    const restored = base.set(key(5000 + i), value(i)).delete(key(5000 + i))
    assert.equal(restored.root(), before, `key ${5000 + i}`)
    assert.is(restored.size, 300)
  }
  const changed = base.set(key(7), utf8('other'))
  assert.not.equal(changed.root(), before)
  assert.equal(changed.set(key(7), value(7)).root(), before, 'an old value put back restores the root too')
})

test('a tree is persistent: later sets and deletes leave earlier trees untouched', () => {
  const base = StateTree.fromEntries(entries(200))
  const before = base.root()
  const left = base.set(key(9000), utf8('left')).delete(key(1)).set(key(2), utf8('changed'))
  const right = base.delete(key(3)).set(key(9001), utf8('right'))

  assert.equal(base.root(), before)
  assert.is(base.size, 200)
  assert.is(base.get(key(9000)), undefined)
  assert.equal(base.get(key(1)), value(1))
  assert.equal(base.get(key(2)), value(2))
  assert.equal(base.get(key(3)), value(3))

  const model = new Map(entries(200).map(([k, v]) => [toHex(k), [k, v] as [Bytes, Bytes]]))
  const leftModel = new Map(model)
  leftModel.set(toHex(key(9000)), [key(9000), utf8('left')])
  leftModel.delete(toHex(key(1)))
  leftModel.set(toHex(key(2)), [key(2), utf8('changed')])
  assert.equal(left.root(), StateTree.fromEntries(leftModel.values()).root())
  assert.is(right.get(key(9000)), undefined)
  assert.equal(right.get(key(9001)), utf8('right'))
  assert.is(right.size, 200)
})

test('a no-op set or delete returns the very same tree', () => {
  const tree = StateTree.fromEntries(entries(50))
  assert.is(tree.set(key(4), value(4)), tree, 'same value, fresh array')
  assert.is(tree.delete(key(999)), tree, 'absent key')
  assert.is.not(tree.set(key(4), utf8('x')), tree)
})

test('a key set many times before root() ends as if set once', () => {
  const base = StateTree.fromEntries(entries(100))
  let tree = base
  for (let i = 0; i < 50; i++) tree = tree.set(key(7), utf8(`round ${i}`))
  assert.equal(tree.root(), base.set(key(7), utf8('round 49')).root())
  assert.is(tree.size, 100)
})

test('get, has, size and entries agree with a plain map, empty values included', () => {
  const items: [Bytes, Bytes][] = [...entries(100), [utf8('empty'), new Uint8Array(0)], [new Uint8Array(0), utf8('empty key')]]
  const tree = build(items)
  assert.is(tree.size, 102)
  for (const [k, v] of items) {
    assert.equal(tree.get(k), v, `get ${toHex(k)}`)
    assert.ok(tree.has(k), `has ${toHex(k)}`)
  }
  assert.is(tree.has(utf8('missing')), false)
  const listed = [...tree.entries()].map(([k, v]) => `${toHex(k)}=${toHex(v)}`).sort()
  assert.equal(listed, items.map(([k, v]) => `${toHex(k)}=${toHex(v)}`).sort())
})

test('keys and values are copied in and out', () => {
  const k = utf8('mutable key')
  const v = utf8('mutable value')
  const tree = StateTree.empty().set(k, v)
  const root = tree.root()
  k[0] = 0
  v[0] = 0
  tree.get(utf8('mutable key'))![0] = 0
  tree.root()[0] = 0
  assert.equal(tree.get(utf8('mutable key')), utf8('mutable value'))
  assert.equal(tree.root(), root)
  assert.equal([...tree.entries()], [[utf8('mutable key'), utf8('mutable value')]])
})

test('fromEntries equals an incremental build; a repeated key keeps its last value', () => {
  const items = entries(1000)
  const withRepeats: [Bytes, Bytes][] = [...items, [key(5), utf8('first')], [key(6), utf8('x')], [key(5), utf8('last')]]
  const bulk = StateTree.fromEntries(withRepeats)
  const incremental = build(withRepeats)
  assert.equal(bulk.root(), incremental.root())
  assert.is(bulk.size, 1000)
  assert.equal(bulk.get(key(5)), utf8('last'))
  assert.equal(StateTree.fromEntries([]).root(), ZERO)
  assert.equal(StateTree.fromEntries(items.slice(0, 1)).root(), leafHash(key(0), value(0)))
})

test('fromEntries handles keys ground to crowd one hash prefix', () => {
  // Found offline: sha256(`crowd/${i}`) starts 0xabcd for each, more than one sorting bucket holds.
  const crowd = [
    33191, 64015, 78984, 132590, 171227, 257692, 312718, 363710, 383890, 465717, 695378, 808598,
    842490, 888595, 1041511, 1169425, 1262372, 1294666, 1328573, 1513473, 1518892, 1530012, 1553899,
    1675605, 1796997, 1999680, 2004620, 2062939, 2098494, 2157707, 2275710, 2368796, 2435437, 2533727,
    2633442, 2703528, 2770105, 2775068, 2790491, 2797406,
  ].map((i) => utf8(`crowd/${i}`))
  for (const k of crowd) assert.equal([...sha256(k).subarray(0, 2)], [0xab, 0xcd])
  const items: [Bytes, Bytes][] = [...entries(100), ...crowd.map((k) => [k, k] as [Bytes, Bytes])]
  const random = mulberry32(5)
  const bulk = StateTree.fromEntries(shuffled(items, random))
  assert.is(bulk.size, 140)
  assert.equal(bulk.root(), build(items).root())
})

test('random sets and deletes match a model map at every checkpoint', () => {
  const random = mulberry32(2024)
  const model = new Map<string, [Bytes, Bytes]>()
  let tree = StateTree.empty()
  for (let step = 1; step <= 3000; step++) {
    const k = key(Math.floor(random() * 400))
    if (random() < 0.35) {
      tree = tree.delete(k)
      model.delete(toHex(k))
    } else {
      const v = utf8(`v${Math.floor(random() * 5)}`)
      tree = tree.set(k, v)
      model.set(toHex(k), [k, v])
    }
    if (step % 500 === 0) {
      assert.is(tree.size, model.size, `size at step ${step}`)
      assert.equal(tree.root(), StateTree.fromEntries(model.values()).root(), `root at step ${step}`)
      for (let i = 0; i < 400; i++) assert.equal(tree.get(key(i)), model.get(toHex(key(i)))?.[1], `get ${i}`)
    }
  }
})

test('a root is a function of the whole map: any change moves it', () => {
  const tree = StateTree.fromEntries(entries(64))
  const roots = new Set([toHex(tree.root())])
  for (let i = 0; i < 64; i++) {
    roots.add(toHex(tree.set(key(i), concat(value(i), Uint8Array.of(0))).root()))
    roots.add(toHex(tree.delete(key(i)).root()))
  }
  assert.is(roots.size, 1 + 128)
})

test.run()
