// The inputs a decoder is fed, all drawn from fast-check's seeded random source (so a run is
// reproducible from its seed, and a failing input shrinks):
//   random  seeded random bytes up to 4 KiB, in a few byte distributions
//   large   64 .. 256 KiB of random bytes
//   wide    (RLP decoders) a valid list of thousands of empty items
//   deep    (RLP decoders) empty lists nested up to 1,000 deep
//   mutated a valid seed with tree, header and byte mutations, sometimes nested in lists
//   tree    a random RLP tree of the wrong shape (any depth, any leaf sizes)
//   json    (JSON decoders) a seed file with values replaced, removed or retyped
//   valid   a valid value's encoding, which must decode back to the value (round trip)

import fc from 'fast-check'
import { type Bytes, utf8 } from '../../packages/core/src/bytes.ts'
import { type RlpItem, encodeRlp } from '../../packages/core/src/codec/rlp.ts'
import type { Decoder, FuzzCase } from './decoder.ts'
import { type ByteMutation, type HeaderMutation, type Mutations, type TreeMutation, applyMutations, header, nest } from './mutations.ts'

/** Words the decoders look for, so random trees sometimes carry a known type or op name. */
const WORDS = [
  'status', 'blocks', 'tx', 'block', 'vote', 'vote.record', 'counter.add', 'kv.set', 'kv.del', 'proposal.create',
  'proposal.vote', 'validators.set', 'threshold.set', 'entity.set', 'entity.del', 'params.set', 'proposalExpiry',
  'maxBlockTxs', 'maxBlockBytes', 'fuzznet',
]

/** Bytes filled from a small PRNG: fast for large sizes, and shrinkable through (length, seed). */
function filled(length: number, seed: number, style: number): Bytes {
  const out = new Uint8Array(length)
  let x = seed | 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    const r = x & 0xff
    out[i] = style === 0 ? r : style === 1 ? 0x80 | r : style === 2 ? r & 0x7f : style === 3 ? 0xc0 : 0x80
  }
  return out
}

const randomBytes: fc.Arbitrary<FuzzCase> = fc
  .record({ length: fc.oneof(fc.nat(64), fc.nat(4096)), seed: fc.integer(), style: fc.nat(2) })
  .map(({ length, seed, style }) => ({ bytes: filled(length, seed, style), origin: 'random' }))

/** Large random inputs (64..256 KiB). */
const largeBytes: fc.Arbitrary<FuzzCase> = fc
  .record({ length: fc.integer({ min: 64 * 1024, max: 256 * 1024 }), seed: fc.integer(), style: fc.nat(2) })
  .map(({ length, seed, style }) => ({ bytes: filled(length, seed, style), origin: 'large' }))

/**
 * A valid list of 1,000..30,000 empty lists or empty strings. Wider lists cost the current
 * decoder seconds each; run.ts probes one of 200,000 items once per run instead.
 */
const wideList: fc.Arbitrary<FuzzCase> = fc
  .record({ items: fc.integer({ min: 1000, max: 30_000 }), style: fc.constantFrom(3, 4) })
  .map(({ items, style }) => ({ bytes: withListHeader(filled(items, 1, style)), origin: 'wide' }))

function withListHeader(body: Bytes): Bytes {
  const h = header(body.length, true)
  const out = new Uint8Array(h.length + body.length)
  out.set(h)
  out.set(body, h.length)
  return out
}

const leaf: fc.Arbitrary<RlpItem> = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 8 }) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 70 }) },
  { weight: 1, arbitrary: fc.constantFrom(20, 32, 48, 64, 96).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })) },
  { weight: 1, arbitrary: fc.constantFrom(...WORDS).map(utf8) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).map(utf8) },
)

/** Random RLP trees: a few levels of lists of mixed leaves. */
export const rlpTree: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
  item: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('item'), { maxLength: 10 })),
})).item

const treeCase: fc.Arbitrary<FuzzCase> = rlpTree.map((item) => ({ bytes: encodeRlp(item), origin: 'tree' }))

const at = fc.nat()
const treeMutation: fc.Arbitrary<TreeMutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), at, item: rlpTree }),
  fc.record({ op: fc.constantFrom('wrap' as const, 'unwrap' as const, 'toBytes' as const, 'toList' as const, 'drop' as const, 'duplicate' as const, 'swap' as const), at }),
  fc.record({ op: fc.constant('add' as const), at, item: rlpTree }),
  fc.record({ op: fc.constant('resize' as const), at, length: fc.oneof(fc.nat(70), fc.constantFrom(0, 1, 19, 21, 31, 33, 47, 49, 63, 65, 95, 97)) }),
)

const headerMutation: fc.Arbitrary<HeaderMutation> = fc.oneof(
  fc.record({ op: fc.constant('length' as const), at, delta: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -100_000, max: 100_000 })) }),
  fc.record({ op: fc.constant('longForm' as const), at, zeros: fc.nat(2) }),
  fc.record({ op: fc.constant('hugeLength' as const), at, lengthOfLength: fc.integer({ min: 1, max: 8 }), fill: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff) }),
  fc.record({ op: fc.constant('swapType' as const), at }),
)

const interesting = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0x81, 0xb7, 0xb8, 0xbf, 0xc0, 0xc1, 0xf7, 0xf8, 0xff)
const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at, bit: fc.nat(7) }),
  fc.record({ op: fc.constant('set' as const), at, value: fc.oneof(fc.nat(255), interesting) }),
  fc.record({ op: fc.constant('truncate' as const), at }),
  fc.record({ op: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ op: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ op: fc.constant('duplicate' as const), at, length: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ op: fc.constant('remove' as const), at, length: fc.integer({ min: 1, max: 256 }) }),
)

// Nesting deep enough to overflow the stack is not drawn at random (with the current decoder each
// such case costs seconds): run.ts probes it once per run instead, at fixed depths.
const nestDepth = fc.oneof(
  { weight: 20, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: 9, max: 500 }) },
)

function mutations(rlp: boolean): fc.Arbitrary<Mutations> {
  const none = fc.constant([] as never[])
  return fc.record({
    tree: rlp ? fc.array(treeMutation, { maxLength: 3 }) : none,
    header: rlp ? fc.array(headerMutation, { maxLength: 2 }) : none,
    bytes: fc.array(byteMutation, { maxLength: rlp ? 2 : 4 }),
    nest: rlp ? nestDepth : fc.constant(0),
  })
}

function mutated(d: Decoder): fc.Arbitrary<FuzzCase> {
  return fc
    .record({ seed: fc.nat(d.seeds.length - 1), m: mutations(d.format === 'rlp') })
    .map(({ seed, m }) => ({ bytes: applyMutations(d.seeds[seed]!, m), origin: 'mutated' }))
}

/** Empty lists nested 64..1000 deep (deeper is a probe: see run.ts). */
const deepEmpty: fc.Arbitrary<FuzzCase> = fc
  .integer({ min: 64, max: 1000 })
  .map((depth) => ({ bytes: nest(new Uint8Array(0), depth), origin: 'deep' }))

// ---- JSON

type JsonMutation =
  | { op: 'set'; at: number; value: unknown }
  | { op: 'delete'; at: number }
  | { op: 'nest'; at: number; depth: number }

const jsonScalar = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -1, 1, 0.5, 1e21, -1e21, 2 ** 53, 2 ** 64, Number.MAX_SAFE_INTEGER + 2, 65536, 600_001),
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', '0x', 'zz', '2024-01-01T00:00:00Z', 'not a time', '/ip4/127.0.0.1/tcp/1', '__proto__', 'constructor'),
)

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at, value: fc.oneof(jsonScalar, fc.jsonValue({ maxDepth: 2 }), fc.constant([]), fc.constant({})) }),
  fc.record({ op: fc.constant('delete' as const), at }),
  fc.record({ op: fc.constant('nest' as const), at, depth: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1000, max: 20_000 })) }),
)

/** Every (parent, key) pair of a JSON value, in pre-order; the root has no parent. */
function jsonSlots(root: unknown): Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> {
  const out: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = []
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (Array.isArray(node)) node.forEach((child, i) => (out.push({ parent: node, key: i }), stack.push(child)))
    else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) out.push({ parent: node as Record<string, unknown>, key }), stack.push(child)
    }
  }
  return out
}

/** Stands for a deeply nested array until the text is made: building it as a value would make stringify recurse. */
const NEST_MARK = '\u0000nest\u0000'

function mutateJson(text: string, ms: JsonMutation[]): string {
  let root: unknown = JSON.parse(text)
  let depth = 0
  for (const m of ms) {
    const slots = jsonSlots(root)
    if (slots.length === 0) {
      if (m.op === 'set') root = m.value
      continue
    }
    const { parent, key } = slots[m.at % slots.length]!
    const target = parent as Record<string | number, unknown>
    if (m.op === 'set') target[key] = m.value
    else if (m.op === 'delete') Array.isArray(parent) ? parent.splice(key as number, 1) : delete target[key]
    else {
      target[key] = NEST_MARK
      depth = m.depth
    }
  }
  const out = JSON.stringify(root) ?? 'null'
  return depth > 0 ? out.replace(JSON.stringify(NEST_MARK), '['.repeat(depth) + ']'.repeat(depth)) : out
}

function jsonMutated(d: Decoder): fc.Arbitrary<FuzzCase> {
  return fc
    .record({ seed: fc.nat(d.seeds.length - 1), json: fc.array(jsonMutation, { minLength: 1, maxLength: 3 }), bytes: fc.array(byteMutation, { maxLength: 1 }) })
    .map(({ seed, json, bytes }) => {
      const text = mutateJson(new TextDecoder().decode(d.seeds[seed]!), json)
      return { bytes: applyMutations(utf8(text), { tree: [], header: [], bytes, nest: 0 }), origin: 'json' }
    })
}

const randomJson: fc.Arbitrary<FuzzCase> = fc.jsonValue({ maxDepth: 3 }).map((v) => ({ bytes: utf8(JSON.stringify(v) ?? 'null'), origin: 'random' }))

// ---- all together

/** The case mix for one decoder: mutations of its seeds first, then random inputs of each kind. */
export function cases(d: Decoder): fc.Arbitrary<FuzzCase> {
  const valid = d.valid?.map(({ bytes, value }): FuzzCase => ({ bytes, expect: { value }, origin: 'valid' }))
  // weights out of 931: large, wide and deep inputs cost up to hundreds of milliseconds each
  // with the current decoder, so they are drawn about once in 200, 1000 and 200 cases
  const arbitraries: Array<fc.WeightedArbitrary<FuzzCase>> = [
    { weight: 420, arbitrary: d.format === 'json' ? jsonMutated(d) : mutated(d) },
    { weight: 140, arbitrary: mutated(d) },
    { weight: 140, arbitrary: randomBytes },
    { weight: 140, arbitrary: d.format === 'json' ? randomJson : treeCase },
    { weight: 70, arbitrary: valid ?? treeCase },
    { weight: 5, arbitrary: largeBytes },
    { weight: 1, arbitrary: d.format === 'rlp' ? wideList : largeBytes },
    { weight: 5, arbitrary: d.format === 'rlp' ? deepEmpty : largeBytes },
  ]
  return fc.oneof(...arbitraries)
}
