// Arbitrary valid values of the wire and disk objects, for the round trip decode(encode(x)) = x.
// Field values range over everything the decoders accept, not only what a node would produce
// (any UTF-8 network name in a transaction, any 32 bytes as a hash).

import fc from 'fast-check'
import type { Bytes } from '../../packages/core/src/bytes.ts'
import { PARAM_RANGES } from '../../packages/core/src/machines/entity-state.ts'
import type { ProposalAction } from '../../packages/core/src/machines/payloads.ts'
import type { StateProof } from '../../packages/core/src/state/proof.ts'
import { type Block, type BlockHeader, type Commit, TX_KINDS, type Transaction, type TxKind, type Vote, type VoteStep } from '../../packages/core/src/types/chain.ts'

export const bytes = (n: number): fc.Arbitrary<Bytes> => fc.uint8Array({ minLength: n, maxLength: n })
export const hash = bytes(32)
export const uint = fc.oneof(fc.nat(300), fc.maxSafeNat())
/** Any UTF-8 text of at most 64 bytes (16 code points of up to 4 bytes). */
export const text64 = fc.oneof(fc.string({ maxLength: 16, unit: 'binary' }), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/))

export const tx: fc.Arbitrary<Transaction> = fc.record({
  network: text64,
  entity: hash,
  sender: hash,
  nonce: uint,
  kind: fc.constantFrom(...TX_KINDS).map((k) => k as TxKind),
  payload: fc.uint8Array({ maxLength: 300 }),
  signature: bytes(64),
})

export const header: fc.Arbitrary<BlockHeader> = fc.record({
  network: text64,
  entity: hash,
  height: uint,
  time: uint,
  parentHash: hash,
  proposer: uint,
  txsHash: hash,
  stateRoot: hash,
  validatorsHash: hash,
})

export const block: fc.Arbitrary<Block> = fc.record({ header, txs: fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }) })

export const vote: fc.Arbitrary<Vote> = fc.record({
  network: text64,
  entity: hash,
  height: uint,
  round: uint,
  step: fc.constantFrom(1, 2).map((s) => s as VoteStep),
  blockHash: fc.option(hash, { nil: null }),
  validator: uint,
  signature: bytes(96),
})

export const commit: fc.Arbitrary<Commit> = fc.record({
  height: uint,
  round: uint,
  blockHash: hash,
  signers: fc.uint8Array({ maxLength: 128 }),
  signature: bytes(96),
})

export const frame = fc.record({
  height: uint,
  prevHash: fc.option(hash, { nil: null }),
  time: uint,
  inputs: fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 5 }),
  stateHash: hash,
})

/** round > validRound >= -1, as decodeProposal requires. */
export const proposalFields = fc
  .record({ height: uint, round: fc.integer({ min: 0, max: 1_000_000 }), back: fc.nat(1_000_000), proposer: uint, block: fc.uint8Array({ maxLength: 300 }), signature: bytes(96) })
  .map(({ back, ...p }) => ({ ...p, validRound: Math.max(-1, p.round - 1 - back) }))

export const kvKey = fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }).filter((k) => Buffer.byteLength(k) <= 256)

const candidate = fc.record({ publicKey: bytes(48), account: bytes(20), shares: uint, proofOfPossession: bytes(96) })

export const action: fc.Arbitrary<ProposalAction> = fc.oneof(
  fc.record({ type: fc.constant('validators.set' as const), validators: fc.array(candidate, { minLength: 1, maxLength: 3 }) }),
  fc.record({ type: fc.constant('threshold.set' as const), threshold: fc.record({ numerator: uint, denominator: uint }) }),
  fc.record({ type: fc.constant('entity.set' as const), key: kvKey, value: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ type: fc.constant('entity.del' as const), key: kvKey }),
  fc.record({ type: fc.constant('params.set' as const), name: fc.constantFrom('proposalExpiry' as const, 'maxBlockTxs' as const, 'maxBlockBytes' as const), value: uint }),
)

export const stateProof: fc.Arbitrary<StateProof> = fc.oneof(
  fc.record({ key: fc.uint8Array({ maxLength: 40 }), value: fc.uint8Array({ maxLength: 40 }), siblings: fc.array(hash, { maxLength: 8 }), leaf: fc.constant(null) }),
  fc.record({ key: fc.uint8Array({ maxLength: 40 }), value: fc.constant(null), siblings: fc.array(hash, { maxLength: 8 }), leaf: fc.option(fc.record({ keyHash: hash, valueHash: hash }), { nil: null }) }),
)

/** A valid threshold: at least 2/3 and below 1. */
export const threshold = fc.integer({ min: 3, max: 1000 }).chain((denominator) =>
  fc.integer({ min: Math.ceil((2 * denominator) / 3), max: denominator - 1 }).map((numerator) => ({ numerator, denominator })),
)

/** A genesis network name: 1..64 of a-z 0-9 . _ - starting with a letter or digit. */
export const networkName = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,63}$/)

export const signerIndices = fc.integer({ min: 0, max: 1100 }).chain((size) =>
  fc.uniqueArray(fc.nat(Math.max(0, size - 1)), { maxLength: size === 0 ? 0 : 20 }).map((indices) => ({ size, indices: indices.sort((a, b) => a - b) })),
)

/** Entity parameters within the ranges a genesis or params.set is held to (PARAM_RANGES). */
const inRange = (name: keyof typeof PARAM_RANGES) => fc.integer({ min: PARAM_RANGES[name][0], max: PARAM_RANGES[name][1] })

export const params = fc.record({
  proposalExpiry: inRange('proposalExpiry'),
  maxBlockTxs: inRange('maxBlockTxs'),
  maxBlockBytes: inRange('maxBlockBytes'),
  maxOpenProposals: inRange('maxOpenProposals'),
  openAccounts: inRange('openAccounts'),
  registry: inRange('registry'),
  maxEntitiesPerAccount: inRange('maxEntitiesPerAccount'),
  maxEntitiesPerBlock: inRange('maxEntitiesPerBlock'),
})
