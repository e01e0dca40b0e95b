import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { code } from '../../fixtures/errors.ts'
import { bitmapFromIndices } from '../../../packages/core/src/codec/bitmap.ts'
import { verifyCommit } from '../../../packages/core/src/validation/commit.ts'
import { makeChain } from '../../fixtures/chain.ts'

const chain = makeChain([3, 1, 1, 1])
const blockHash = new Uint8Array(32).fill(7)
const ctx = {
  network: chain.network,
  entity: chain.entity,
  height: 5,
  blockHash,
  validators: chain.genesis.validators,
  threshold: chain.genesis.threshold,
}

test('a quorum certificate verifies with one aggregate check', () => {
  assert.equal(verifyCommit(chain.commit(5, blockHash, [0, 1, 2]), ctx), [0, 1, 2]) // 5 of 6 shares
  assert.equal(verifyCommit(chain.commit(5, blockHash, [0, 1, 2, 3], 3), ctx), [0, 1, 2, 3])
})

test('weighted quorum: heads do not count, shares do', () => {
  // exactly 2/3 (4 of 6) is not more than 2/3
  assert.is(code(() => verifyCommit(chain.commit(5, blockHash, [0, 1]), ctx)), 'COMMIT_NO_QUORUM')
  // three validators, but 3 of 6 shares: not more than 2/3
  assert.is(code(() => verifyCommit(chain.commit(5, blockHash, [1, 2, 3]), ctx)), 'COMMIT_NO_QUORUM')
})

test('a certificate for another block, height, network or entity is refused', () => {
  const commit = chain.commit(5, blockHash, [0, 1, 2])
  assert.is(code(() => verifyCommit(commit, { ...ctx, blockHash: new Uint8Array(32) })), 'COMMIT_WRONG_BLOCK')
  assert.is(code(() => verifyCommit(commit, { ...ctx, height: 6 })), 'COMMIT_WRONG_BLOCK')
  assert.is(code(() => verifyCommit(commit, { ...ctx, network: 'elsewhere' })), 'COMMIT_BAD_SIGNATURE')
  assert.is(code(() => verifyCommit(commit, { ...ctx, entity: new Uint8Array(32).fill(1) })), 'COMMIT_BAD_SIGNATURE')
})

test('a forged bitmap or signature is refused', () => {
  const commit = chain.commit(5, blockHash, [0, 1, 2])
  // claims a signer who did not sign
  assert.is(code(() => verifyCommit({ ...commit, signers: bitmapFromIndices([0, 1, 2, 3], 4) }, ctx)), 'COMMIT_BAD_SIGNATURE')
  // a round the signers did not sign
  assert.is(code(() => verifyCommit({ ...commit, round: 1 }, ctx)), 'COMMIT_BAD_SIGNATURE')
  const tampered = commit.signature.slice()
  tampered[10]! ^= 1
  assert.is(code(() => verifyCommit({ ...commit, signature: tampered }, ctx)), 'COMMIT_BAD_SIGNATURE')
  assert.is(code(() => verifyCommit({ ...commit, signers: new Uint8Array([3, 0]) }, ctx)), 'COMMIT_BAD_BITMAP')
})

test.run()
