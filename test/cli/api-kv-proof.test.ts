// kv get --prove's local check, against proofs from a real state tree: a proof that does not
// show exactly the returned value (or absence) under the returned root is refused.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Bytes, StateTree, decodeStateProof, encodeStateProof, fromHex, kvKeyFromPath, toHex, utf8 } from '../../packages/core/src/index.ts'
import type { KvView } from '../../packages/node/src/api/node-api.ts'
import { CliError, ExitCode } from '../../packages/cli/src/errors.ts'
import { verifyKvProof } from '../../packages/cli/src/commands/kv-proof.ts'

const ACCOUNT = 'ab'.repeat(20)
const KEY = `${ACCOUNT}/greeting`
const tree = StateTree.fromEntries([
  [kvKeyFromPath(KEY), utf8('hello')],
  ...Array.from({ length: 50 }, (_, i) => [kvKeyFromPath(`${ACCOUNT}/k${i}`), utf8(`v${i}`)] as [Bytes, Bytes]),
])
const root = toHex(tree.root())

function viewOf(key: string, overrides: Partial<KvView> = {}): KvView {
  const value = tree.get(kvKeyFromPath(key)) ?? null
  return {
    key,
    value: value === null ? null : toHex(value),
    text: null,
    height: 5,
    stateRoot: root,
    proof: toHex(encodeStateProof(tree.prove(kvKeyFromPath(key)))),
    ...overrides,
  }
}

function refused(view: KvView, what: string): void {
  try {
    verifyKvProof(view)
  } catch (err) {
    assert.instance(err, CliError, what)
    assert.is((err as CliError).exitCode, ExitCode.Failure, what)
    assert.is((err as CliError).code, 'PROOF_INVALID', what)
    return
  }
  assert.unreachable(`${what}: the proof was accepted`)
}

function flipByte(hex: string, at: number): string {
  const bytes = Buffer.from(hex, 'hex')
  bytes[at]! ^= 0x01
  return bytes.toString('hex')
}

test('an honest inclusion proof and an honest absence proof verify', () => {
  const present = verifyKvProof(viewOf(KEY))
  assert.equal(present.value, utf8('hello'))
  const absent = verifyKvProof(viewOf(`${ACCOUNT}/nothing`))
  assert.is(absent.value, null)
})

test('a tampered answer is refused', () => {
  const honest = viewOf(KEY)
  const decoded = decodeStateProof(fromHex(honest.proof!))
  assert.ok(decoded.siblings.length > 0, 'the tree is deep enough to have siblings')
  const siblings = decoded.siblings.map((s, i) => (i === 0 ? fromHex(flipByte(toHex(s), 31)) : s))
  const badSibling = toHex(encodeStateProof({ ...decoded, siblings }))
  const cases: Array<[string, KvView]> = [
    ['another value returned', { ...honest, value: toHex(utf8('hellO')) }],
    ['value hidden (absence claimed)', { ...honest, value: null }],
    ['proof of another key', { ...honest, proof: viewOf(`${ACCOUNT}/k1`).proof! }],
    ['another state root', { ...honest, stateRoot: flipByte(root, 0) }],
    ['a sibling hash changed', { ...honest, proof: badSibling }],
    ['no proof at all', { ...honest, proof: undefined } as KvView],
    ['proof bytes that are not RLP', { ...honest, proof: 'ff00' }],
    ['a value for a key the proof says is absent', { ...viewOf(`${ACCOUNT}/nothing`), value: toHex(utf8('x')) }],
  ]
  for (const [what, view] of cases) refused(view, what)
})

test.run()
