import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import { type Bytes, concat, utf8 } from '../../../packages/core/src/bytes.ts'
import { encodeRlp } from '../../../packages/core/src/codec/rlp.ts'
import { ErrorCode } from '../../../packages/core/src/errors.ts'
import { sha256 } from '../../../packages/core/src/hash.ts'
import {
  decodeStateProof,
  encodeStateProof,
  MAX_STATE_PROOF_BYTES,
  type StateProof,
  verifyStateProof,
} from '../../../packages/core/src/state/proof.ts'
import { StateTree } from '../../../packages/core/src/state/tree.ts'

const key = (i: number) => utf8(`key/${i}`)
const value = (i: number) => utf8(`value ${i}`)
const absentKey = (i: number) => utf8(`absent/${i}`)

const KEYS = 500
const tree = StateTree.fromEntries(Array.from({ length: KEYS }, (_, i) => [key(i), value(i)] as [Bytes, Bytes]))
const root = tree.root()

function keyWithFirstBit(prefix: string, bit: number): Bytes {
  for (let i = 0; ; i++) if (sha256(utf8(`${prefix}${i}`))[0]! >> 7 === bit) return utf8(`${prefix}${i}`)
}

function flipped(bytes: Bytes, index = 0): Bytes {
  const out = new Uint8Array(bytes)
  out[index]! ^= 1
  return out
}

test('inclusion proofs verify for every key and carry its value', () => {
  for (let i = 0; i < KEYS; i++) {
    const proof = tree.prove(key(i))
    assert.equal(proof.value, value(i), `value of key ${i}`)
    assert.is(proof.leaf, null)
    assert.ok(verifyStateProof(root, proof), `key ${i}`)
  }
})

test('absence proofs verify, ending both at empty subtrees and at other leaves', () => {
  let atEmpty = 0
  let atLeaf = 0
  for (let i = 0; i < KEYS; i++) {
    const proof = tree.prove(absentKey(i))
    assert.is(proof.value, null)
    assert.ok(verifyStateProof(root, proof), `absent key ${i}`)
    if (proof.leaf === null) atEmpty++
    else atLeaf++
  }
  assert.ok(atEmpty > 0, 'some paths end in an empty subtree')
  assert.ok(atLeaf > 0, 'some paths end at another leaf')
})

test('proofs in the smallest trees: empty, and a single leaf at the root', () => {
  const empty = StateTree.empty()
  const none = empty.prove(key(1))
  assert.equal(none, { key: key(1), value: null, siblings: [], leaf: null })
  assert.ok(verifyStateProof(empty.root(), none))

  const single = empty.set(key(1), value(1))
  assert.equal(single.prove(key(1)).siblings, [])
  assert.ok(verifyStateProof(single.root(), single.prove(key(1))))
  const other = single.prove(key(2))
  assert.equal(other.leaf, { keyHash: sha256(key(1)), valueHash: sha256(value(1)) })
  assert.ok(verifyStateProof(single.root(), other))
})

test('a proof fails against another root', () => {
  const later = tree.set(key(KEYS), value(KEYS)).root()
  assert.not.ok(verifyStateProof(later, tree.prove(key(3))))
  assert.not.ok(verifyStateProof(later, tree.prove(absentKey(3))))
  assert.not.ok(verifyStateProof(flipped(root, 31), tree.prove(key(3))))
  assert.not.ok(verifyStateProof(root.subarray(0, 31), tree.prove(key(3))), 'a short root')
})

test('a tampered value fails', () => {
  const proof = tree.prove(key(8))
  assert.not.ok(verifyStateProof(root, { ...proof, value: flipped(proof.value!) }))
  assert.not.ok(verifyStateProof(root, { ...proof, value: new Uint8Array(0) }))
  assert.not.ok(verifyStateProof(root, { ...proof, value: value(9) }))
})

test('a tampered, missing or extra sibling fails', () => {
  for (const proof of [tree.prove(key(11)), tree.prove(absentKey(11)), tree.prove(absentKey(12))]) {
    const { siblings } = proof
    assert.ok(siblings.length > 0)
    for (let i = 0; i < siblings.length; i++) {
      const tampered = siblings.map((s, j) => (j === i ? flipped(s, i % 32) : s))
      assert.not.ok(verifyStateProof(root, { ...proof, siblings: tampered }), `sibling ${i}`)
    }
    assert.not.ok(verifyStateProof(root, { ...proof, siblings: siblings.slice(1) }), 'top sibling dropped')
    assert.not.ok(verifyStateProof(root, { ...proof, siblings: siblings.slice(0, -1) }), 'bottom sibling dropped')
    assert.not.ok(verifyStateProof(root, { ...proof, siblings: [...siblings, new Uint8Array(32)] }), 'extra')
    assert.not.ok(verifyStateProof(root, { ...proof, siblings: [...siblings.slice(0, -1), new Uint8Array(31)] }))
  }
})

test('an absence proof for a present key fails, however it is dressed', () => {
  const present = key(21)
  const inclusion = tree.prove(present)
  assert.not.ok(verifyStateProof(root, { ...inclusion, value: null }), 'path said to end in nothing')
  const itself = { keyHash: sha256(present), valueHash: sha256(value(21)) }
  assert.not.ok(verifyStateProof(root, { ...inclusion, value: null, leaf: itself }), 'its own leaf as "other"')
  const before = tree.delete(present)
  const honestBefore = before.prove(present)
  assert.ok(verifyStateProof(before.root(), honestBefore))
  assert.not.ok(verifyStateProof(root, honestBefore), 'a stale absence proof')
})

test('an inclusion proof moved to another key fails', () => {
  const proof = tree.prove(key(30))
  assert.not.ok(verifyStateProof(root, { ...proof, key: key(31) }))
  assert.not.ok(verifyStateProof(root, { ...proof, key: absentKey(30) }))
  assert.not.ok(verifyStateProof(root, { ...tree.prove(key(31)), value: value(30) }))
})

test('an absence proof with a tampered or misplaced leaf fails', () => {
  let checked = 0
  for (let i = 0; i < 50; i++) {
    const proof = tree.prove(absentKey(i))
    if (proof.leaf === null) continue
    checked++
    const { keyHash, valueHash } = proof.leaf
    assert.not.ok(verifyStateProof(root, { ...proof, leaf: { keyHash, valueHash: flipped(valueHash) } }))
    // the last bit of the key hash is below any depth, so the leaf is still "on the path"
    assert.not.ok(verifyStateProof(root, { ...proof, leaf: { keyHash: flipped(keyHash, 31), valueHash } }))
    // the first bit is on every path, so this leaf is off it
    assert.not.ok(verifyStateProof(root, { ...proof, leaf: { keyHash: flipped(keyHash, 0), valueHash } }))
    assert.not.ok(verifyStateProof(root, { ...proof, leaf: null }), 'said to end in nothing')
    assert.not.ok(verifyStateProof(root, { ...proof, leaf: { keyHash: keyHash.subarray(1), valueHash } }))
  }
  assert.ok(checked > 0)

  // A root built by hand with a leaf off its own path (first bit 1, placed left): the verifier
  // must check where the leaf belongs, not only that the hashes add up.
  const stray = { keyHash: sha256(keyWithFirstBit('stray', 1)), valueHash: sha256(value(0)) }
  const strayRoot = sha256(Uint8Array.of(1), sha256(Uint8Array.of(0), stray.keyHash, stray.valueHash), new Uint8Array(32))
  const target = keyWithFirstBit('target', 0)
  const forged = { key: target, value: null, siblings: [new Uint8Array(32)], leaf: stray }
  assert.not.ok(verifyStateProof(strayRoot, forged))

  const inclusion = tree.prove(key(1))
  const leaf = { keyHash: sha256(key(2)), valueHash: sha256(value(2)) }
  assert.not.ok(verifyStateProof(root, { ...inclusion, leaf }), 'an inclusion proof carries no leaf')
})

test('a proof with more siblings than the tree is deep fails', () => {
  const proof = tree.prove(key(1))
  const siblings = Array.from({ length: 257 }, () => new Uint8Array(32))
  assert.not.ok(verifyStateProof(root, { ...proof, siblings }))
})

test('encode and decode round-trip every kind of proof, and decoded proofs verify', () => {
  const withEmptyValue = tree.set(key(40), new Uint8Array(0))
  const cases: [StateProof, Bytes][] = [
    [tree.prove(key(40)), root],
    [withEmptyValue.prove(key(40)), withEmptyValue.root()],
    [StateTree.empty().prove(key(40)), StateTree.empty().root()],
  ]
  for (let i = 0; i < 40; i++) cases.push([tree.prove(absentKey(i)), root])
  const kinds = new Set(cases.map(([p]) => (p.value !== null ? 'in' : p.leaf === null ? 'empty' : 'leaf')))
  assert.equal([...kinds].sort(), ['empty', 'in', 'leaf'])
  for (const [proof, r] of cases) {
    const decoded = decodeStateProof(encodeStateProof(proof))
    assert.equal(decoded, proof)
    assert.ok(verifyStateProof(r, decoded))
  }
  assert.equal(decodeStateProof(encodeStateProof(withEmptyValue.prove(key(40)))).value, new Uint8Array(0))
})

test('malformed proof bytes are rejected with codec error codes', () => {
  const good = tree.prove(absentKey(0))
  const hash = new Uint8Array(32)
  const raw = (fields: unknown[]) => encodeRlp(fields as Parameters<typeof encodeRlp>[0])
  assert.is(code(() => decodeStateProof(Uint8Array.of(0xff, 0x00))), ErrorCode.CodecMalformed)
  assert.is(code(() => decodeStateProof(concat(encodeStateProof(good), Uint8Array.of(0)))), ErrorCode.CodecTrailingBytes)
  assert.is(code(() => decodeStateProof(new Uint8Array(MAX_STATE_PROOF_BYTES + 1))), ErrorCode.CodecTooLarge)
  assert.is(code(() => decodeStateProof(encodeRlp(utf8('not a list')))), ErrorCode.CodecBadField)
  assert.is(code(() => decodeStateProof(raw([key(1), [], []]))), ErrorCode.CodecBadField, 'three fields')
  assert.is(code(() => decodeStateProof(raw([key(1), [value(1), value(2)], [], []]))), ErrorCode.CodecBadField)
  assert.is(code(() => decodeStateProof(raw([key(1), [], [new Uint8Array(31)], []]))), ErrorCode.CodecBadField)
  assert.is(code(() => decodeStateProof(raw([key(1), [], [[hash]], []]))), ErrorCode.CodecBadField)
  assert.is(code(() => decodeStateProof(raw([key(1), [], [], [hash]]))), ErrorCode.CodecBadField, 'half a leaf')
  assert.is(code(() => decodeStateProof(raw([key(1), [], [], [hash, new Uint8Array(33)]]))), ErrorCode.CodecBadField)
  assert.is(
    code(() => decodeStateProof(raw([key(1), [value(1)], [], [hash, hash]]))),
    ErrorCode.CodecBadField,
    'a value and an other leaf',
  )
  const tooMany = Array.from({ length: 257 }, () => hash)
  assert.is(code(() => decodeStateProof(raw([key(1), [], tooMany, []]))), ErrorCode.CodecBadField)
  assert.is(code(() => decodeStateProof(raw([key(1), [], tooMany.slice(1), []]))), undefined, '256 is fine')
})

test.run()
