import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import { fromHex } from '../../../packages/core/src/bytes.ts'
import { asUint, decodeRlp, encodeRlp, encodeUint } from '../../../packages/core/src/codec/rlp.ts'

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

test.run()
