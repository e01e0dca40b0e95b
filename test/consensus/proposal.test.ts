import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { concat, equals, utf8 } from '../../packages/core/src/bytes.ts'
import { isCoreError } from '../../packages/core/src/errors.ts'
import { decodeProposal, encodeProposal, type Proposal } from '../../packages/core/src/consensus/index.ts'
import { sha256 } from '../../packages/core/src/hash.ts'

const bytes = utf8('a block')
const p: Proposal = { height: 7, round: 3, validRound: 1, block: { hash: sha256(bytes), bytes }, proposer: 2, signature: new Uint8Array(96).fill(9) }

test('a proposal round-trips, its hash recomputed by the receiver', () => {
  const back = decodeProposal(encodeProposal(p), (b) => sha256(b))
  assert.equal({ ...back, block: null }, { ...p, block: null })
  assert.ok(equals(back.block.hash, p.block.hash))
  assert.is(decodeProposal(encodeProposal({ ...p, validRound: -1 }), sha256).validRound, -1)
})

test('trailing bytes, a validRound not below the round and a short signature are refused', () => {
  const cases = [
    concat(encodeProposal(p), new Uint8Array([0])),
    encodeProposal({ ...p, validRound: 3 }),
    encodeProposal({ ...p, signature: new Uint8Array(95) }),
  ]
  for (const [i, c] of cases.entries()) {
    try {
      decodeProposal(c, sha256)
      assert.unreachable(`case ${i}`)
    } catch (err) {
      assert.ok(isCoreError(err), `case ${i}: ${err}`)
    }
  }
})

test.run()
