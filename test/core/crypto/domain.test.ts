import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { equals, utf8 } from '../../../packages/core/src/bytes.ts'
import { encodeRlp } from '../../../packages/core/src/codec/rlp.ts'
import { sha256 } from '../../../packages/core/src/hash.ts'
import { SignatureKind, type SigningDomain, signingBytes } from '../../../packages/core/src/crypto/domain.ts'

const ENTITY = new Uint8Array(32).fill(0xaa)
const DOMAIN: SigningDomain = { network: 'testnet', entity: ENTITY, kind: SignatureKind.Tx }
const MESSAGE = utf8('counter.add 1')

test('signingBytes is sha256 of the RLP list [protocol, network, entity, kind, message]', () => {
  const expected = sha256(encodeRlp([utf8('p2pnode/1'), utf8('testnet'), ENTITY, utf8('tx'), MESSAGE]))
  const actual = signingBytes(DOMAIN, MESSAGE)
  assert.is(actual.length, 32)
  assert.ok(equals(actual, expected))
})

test('signingBytes is deterministic', () => {
  assert.ok(equals(signingBytes(DOMAIN, MESSAGE), signingBytes({ ...DOMAIN }, new Uint8Array(MESSAGE))))
})

test('every field of the domain and the message changes the signing bytes', () => {
  const base = signingBytes(DOMAIN, MESSAGE)
  const variants: Array<[string, Uint8Array]> = [
    ['network', signingBytes({ ...DOMAIN, network: 'mainnet' }, MESSAGE)],
    ['entity', signingBytes({ ...DOMAIN, entity: new Uint8Array(32).fill(0xbb) }, MESSAGE)],
    ['empty entity', signingBytes({ ...DOMAIN, entity: new Uint8Array(0) }, MESSAGE)],
    ['message', signingBytes(DOMAIN, utf8('counter.add 2'))],
  ]
  for (const kind of Object.values(SignatureKind)) {
    if (kind !== DOMAIN.kind) variants.push([`kind ${kind}`, signingBytes({ ...DOMAIN, kind }, MESSAGE)])
  }
  for (const [name, bytes] of variants) assert.not.ok(equals(bytes, base), name)
})

test('field boundaries are unambiguous: moving bytes between fields changes the result', () => {
  const a = signingBytes({ network: 'ab', entity: utf8('c'), kind: SignatureKind.Vote }, MESSAGE)
  const b = signingBytes({ network: 'a', entity: utf8('bc'), kind: SignatureKind.Vote }, MESSAGE)
  assert.not.ok(equals(a, b), 'network/entity boundary')
})

test('SignatureKind holds the five kinds', () => {
  assert.equal(Object.values(SignatureKind).sort(), ['frame', 'possession', 'proposal', 'tx', 'vote'])
})

test.run()
