// What the fuzzer knows about one decoder, and how one input's outcome is judged.
//
// An input must end in a value or in a coded error of the kinds the decoder is allowed to throw
// (`codeOf` names the code, or returns undefined for anything else). Anything else is a failure:
// a TypeError, a RangeError (stack overflow included), a plain Error, a value that re-encodes to
// other bytes although the decoder claims canonical form, or a valid encoding that does not decode
// back to the value it was made from.

import type fc from 'fast-check'
import { RLP } from '@ethereumjs/rlp'
import type { Bytes } from '../../packages/core/src/bytes.ts'
import { MAX_RLP_DEPTH, maxRlpItems } from '../../packages/core/src/codec/rlp.ts'

export type Format = 'rlp' | 'json' | 'raw'

export interface Decoder {
  name: string
  /** Where its bytes come from, in a few words (docs/fuzzing.md lists them all). */
  source: string
  /** Which mutations fit its input: RLP-aware, JSON-aware, or bytes only. */
  format: Format
  decode(input: Bytes): unknown
  /** Valid encodings made with the project's encoders, the starting points of mutations. */
  seeds: Bytes[]
  /** The code of an error this decoder may throw, undefined for any other throw. */
  codeOf(err: unknown): string | undefined
  /** The canonical encoding of a decoded value, for decoders that accept canonical form only. */
  reencode?(value: unknown): Bytes
  /** Valid values with their encodings, for the round trip decode(encode(x)) = x. */
  valid?: fc.Arbitrary<{ bytes: Bytes; value: unknown }>
  /** A decoder with state (a server) starts over: called before a run and every few cases. */
  fresh?(): Promise<void>
}

export interface FuzzCase {
  bytes: Bytes
  /** For a valid encoding: the value it must decode to. */
  expect?: { value: unknown }
  /** Which generator made it: random, large, mutated, tree, json, valid. */
  origin: string
}

export type Outcome =
  | { kind: 'value' }
  | { kind: 'coded'; code: string }
  | { kind: 'failure'; error: string; signature: string }

/**
 * What identifies a failure across runs: the error's class, the first words of its message
 * (numbers and quoted text blanked), and the project function that threw it (the first stack
 * frame under packages/, by name and file, not line: lines move when code is edited). The same
 * bug at other sizes, offsets or with other field values counts once.
 */
export function signatureOf(err: unknown, prefix = ''): string {
  if (!(err instanceof Error)) return `${prefix}thrown ${typeof err}`
  const words = err.message
    .replace(/(["'`]).*?\1/g, '_')
    .replace(/0x[0-9a-f]+|\d+/gi, 'N')
    .split(/\s+/)
    .filter((w) => w.length > 0)
  const overflow = /Maximum call stack size exceeded/.test(err.message)
  const message = overflow ? 'Maximum call stack size exceeded' : words.slice(0, 3).join(' ')
  return `${prefix}${err.name}: ${message} @ ${throwingFunction(err, overflow)}`
}

/**
 * The first project frame of the stack, else the first frame. A stack overflow deep in recursion
 * keeps only the innermost frames (10 by default), which vary with where the stack ran out: it
 * is "deep" unless a project frame is among them.
 */
function throwingFunction(err: Error, overflow: boolean): string {
  const frames = (err.stack ?? '').split('\n').slice(1)
  const parsed = frames.flatMap((line) => {
    const m = /^\s*at (?:(.+?) \()?(.*?)(?::\d+)?(?::\d+)?\)?$/.exec(line)
    return m ? [{ fn: m[1] ?? '<anonymous>', file: m[2]! }] : []
  })
  const own = parsed.find((f) => f.file.includes('/packages/') && !f.file.includes('node_modules') && !f.fn.startsWith('new '))
  const frame = own ?? (overflow ? undefined : parsed[0])
  if (!frame) return overflow ? 'deep' : 'unknown'
  return `${frame.fn.replace(/^async /, '')} (${frame.file.split('/').pop()})`
}

export function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 400)
  return `thrown ${typeof err}: ${String(err)}`.slice(0, 400)
}

function failure(error: string, signature: string): Outcome {
  return { kind: 'failure', error, signature }
}

export async function outcomeOf(d: Decoder, c: FuzzCase): Promise<Outcome> {
  let value: unknown
  try {
    value = await d.decode(c.bytes)
  } catch (err) {
    const code = d.codeOf(err)
    if (code === undefined) return failure(describe(err), signatureOf(err))
    // a stack overflow caught and re-thrown with a code is still a stack overflow: the catch
    // itself may overflow, and the decoder's depth is unbounded
    if (/Maximum call stack size exceeded/.test(describe(err))) return failure(`StackOverflow inside ${code}: ${describe(err)}`, signatureOf(err, `StackOverflow inside ${code}: `))
    // The RLP decoder refuses, by design, inputs denser or deeper than its limits (review H-5:
    // depth 16, 16 + bytes/8 items), which random valid trees sometimes are: such a refusal is
    // the limit working, provided the input really passes it.
    if (c.expect && !(isLimitCode(code) && passesRlpLimits(c.bytes))) return failure(`RoundTrip: a valid encoding was refused with ${code}`, `RoundTrip: refused with ${code}`)
    if (c.expect) return { kind: 'coded', code }
    return { kind: 'coded', code }
  }
  if (d.reencode) {
    let again: Bytes
    try {
      again = d.reencode(value)
    } catch (err) {
      return failure(`Reencode: the decoded value does not encode (${describe(err)})`, signatureOf(err, 'Reencode: '))
    }
    if (!sameBytes(again, c.bytes)) return failure('NonCanonical: the decoded value re-encodes to other bytes', 'NonCanonical')
  }
  if (c.expect && !same(value, c.expect.value)) return failure('RoundTrip: decode(encode(x)) differs from x', 'RoundTrip: differs')
  return { kind: 'value' }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Deep equality where any two byte arrays (Buffer or Uint8Array) with equal bytes are equal. */
export function same(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && sameBytes(a, b)
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]))
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
    return ka.length === kb.length && ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  }
  return Object.is(a, b)
}

const LIMIT_CODES = ['CODEC_TOO_MANY_ITEMS', 'CODEC_TOO_DEEP']

function isLimitCode(code: string): boolean {
  return LIMIT_CODES.some((limit) => code.includes(limit))
}

/** Whether `bytes` (whatever RLP they hold, at any nesting) pass the decoder's depth or item limits. */
function passesRlpLimits(bytes: Uint8Array): boolean {
  const { items, depth } = countRlp(bytes)
  return depth > MAX_RLP_DEPTH || items > maxRlpItems(bytes.length)
}

/** Items and depth of an RLP encoding, counted with the library decoder (only for valid encodings). */
function countRlp(bytes: Uint8Array): { items: number; depth: number } {
  let items = 0
  let depth = 0
  const walk = (item: unknown, level: number): void => {
    items++
    // as the decoder counts: a bare string is depth 0, a list of strings (or an empty list) 1
    depth = Math.max(depth, Array.isArray(item) ? level + 1 : level)
    if (Array.isArray(item)) for (const child of item) walk(child, level + 1)
  }
  walk(RLP.decode(bytes), 0)
  return { items, depth }
}
