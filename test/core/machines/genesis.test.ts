import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { toHex } from '../../../packages/core/src/bytes.ts'
import { type RlpItem, encodeRlp, encodeString, encodeUint } from '../../../packages/core/src/codec/rlp.ts'
import { isCoreError } from '../../../packages/core/src/errors.ts'
import { MAX_VALIDATORS } from '../../../packages/core/src/limits.ts'
import { DEFAULT_PARAMS, type EntityParams, PARAM_RANGES, decodeParams, encodeParams } from '../../../packages/core/src/machines/entity-state.ts'
import { type Genesis, decodeGenesis, encodeGenesis, genesisId, genesisState, makeGenesis } from '../../../packages/core/src/machines/genesis.ts'
import { encodeCandidates, encodeThreshold } from '../../../packages/core/src/machines/payloads.ts'
import { PARAMS_KEY } from '../../../packages/core/src/machines/state-keys.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { code } from '../../fixtures/errors.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()
const base = { network: 'gen', time: 1_700_000_000_000, validators: chain.genesis.validators }

function genesisError(fn: () => unknown): { code?: string; field?: unknown } {
  try {
    fn()
  } catch (err) {
    return isCoreError(err) ? { code: err.code, field: err.data['field'] } : { code: `not a CoreError: ${err}` }
  }
  return {}
}

test('L-8: genesis parameters are range-checked as params.set checks them', () => {
  for (const name of Object.keys(PARAM_RANGES) as Array<keyof EntityParams>) {
    const [min, max] = PARAM_RANGES[name]
    for (const bad of [min - 1, max + 1]) {
      const params = { ...DEFAULT_PARAMS, [name]: bad }
      assert.equal(genesisError(() => makeGenesis({ ...base, params })), { code: 'GENESIS_INVALID', field: name }, `${name} = ${bad}`)
    }
    for (const good of [min, max]) makeGenesis({ ...base, params: { ...DEFAULT_PARAMS, [name]: good } })
  }
})

test('L-8: the validator count is checked in the genesis, not first at StartHeight', () => {
  const many = Array.from({ length: MAX_VALIDATORS + 1 }, () => chain.genesis.validators[0]!)
  assert.is(code(() => makeGenesis({ ...base, validators: many })), 'GENESIS_INVALID')
  assert.is(code(() => makeGenesis({ ...base, validators: [] })), 'GENESIS_INVALID')
})

test('a genesis with default parameters keeps the encoding (and so the entity id) it had before maxOpenProposals', () => {
  const g = makeGenesis(base)
  const before = encodeRlp([
    encodeString(g.network),
    encodeUint(g.time),
    encodeCandidates(g.validators),
    encodeThreshold(g.threshold),
    [encodeUint(g.params.proposalExpiry), encodeUint(g.params.maxBlockTxs), encodeUint(g.params.maxBlockBytes)],
  ])
  assert.is(toHex(encodeGenesis(g)), toHex(before))
  const decoded = decodeGenesis(before)
  assert.is(decoded.params.maxOpenProposals, DEFAULT_PARAMS.maxOpenProposals)
  assert.is(toHex(genesisId(decoded)), toHex(genesisId(g)))
})

test('a non-default maxOpenProposals is encoded, round-trips and starts the state; the default is never encoded', () => {
  const g = makeGenesis({ ...base, params: { ...DEFAULT_PARAMS, maxOpenProposals: 3 } })
  const decoded = decodeGenesis(encodeGenesis(g))
  assert.equal(decoded.params, g.params)
  assert.is.not(toHex(genesisId(g)), toHex(genesisId(makeGenesis(base))))
  assert.is(genesisState(g).state.params().maxOpenProposals, 3)
  const padded = [...(encodeParams(DEFAULT_PARAMS) as Uint8Array[]), encodeUint(DEFAULT_PARAMS.maxOpenProposals)]
  assert.is(code(() => decodeParams(padded)), 'CODEC_NON_CANONICAL')
  assert.is(code(() => decodeParams([encodeUint(1), encodeUint(1)])), 'CODEC_BAD_FIELD')
})

/** A genesis encoded by hand, with `params` as the items written before openAccounts existed. */
function encodedBefore(g: Genesis, params: RlpItem[]): Uint8Array {
  return encodeRlp([encodeString(g.network), encodeUint(g.time), encodeCandidates(g.validators), encodeThreshold(g.threshold), params])
}

test('H-6: genesis and state encodings from before openAccounts decode unchanged and keep their hashes', () => {
  const p = DEFAULT_PARAMS
  const cases: Array<[string, EntityParams, RlpItem[]]> = [
    ['3 items', DEFAULT_PARAMS, [encodeUint(p.proposalExpiry), encodeUint(p.maxBlockTxs), encodeUint(p.maxBlockBytes)]],
    ['4 items', { ...DEFAULT_PARAMS, maxOpenProposals: 3 }, [encodeUint(p.proposalExpiry), encodeUint(p.maxBlockTxs), encodeUint(p.maxBlockBytes), encodeUint(3)]],
  ]
  for (const [what, params, items] of cases) {
    const g = makeGenesis({ ...base, params })
    const before = encodedBefore(g, items)
    assert.is(toHex(encodeGenesis(g)), toHex(before), what)
    const decoded = decodeGenesis(before)
    assert.equal(decoded.params, params, what)
    assert.is(decoded.params.openAccounts, 1, `${what}: open, as every entity was`)
    assert.is(toHex(genesisId(decoded)), toHex(genesisId(g)), what)
    // the state's params value too, so the state root of height 0 is the one it was
    assert.is(toHex(genesisState(decoded).state.get(PARAMS_KEY)!), toHex(encodeRlp(items)), what)
  }
})

test('H-6: openAccounts 0 in a genesis is a fifth item (maxOpenProposals written before it), round-trips and starts closed', () => {
  const g = makeGenesis({ ...base, params: { ...DEFAULT_PARAMS, openAccounts: 0 } })
  const p = DEFAULT_PARAMS
  const five = [p.proposalExpiry, p.maxBlockTxs, p.maxBlockBytes, p.maxOpenProposals, 0].map((n) => toHex(encodeUint(n)))
  assert.equal((encodeParams(g.params) as Uint8Array[]).map(toHex), five)
  const decoded = decodeGenesis(encodeGenesis(g))
  assert.equal(decoded.params, g.params)
  assert.is.not(toHex(genesisId(g)), toHex(genesisId(makeGenesis(base))))
  const state = genesisState(decoded).state
  assert.is(state.params().openAccounts, 0)
  assert.not.ok(state.maySend(new AccountSigner(seed('stranger')).address))
  assert.ok(state.maySend(chain.validators[0]!.account.address), 'a validator may send from the first block')
  // one encoding: a trailing default is left out, never written; no item past the known ones
  const full = (encodeParams({ ...DEFAULT_PARAMS, openAccounts: 0 }) as Uint8Array[]).slice(0, 4)
  assert.is(code(() => decodeParams([...full, encodeUint(1)])), 'CODEC_NON_CANONICAL')
  assert.is(code(() => decodeParams([...full, encodeUint(0), encodeUint(0)])), 'CODEC_NON_CANONICAL', 'registry 0 is its default')
  assert.is(code(() => decodeParams([...full, ...[0, 1, 5, 5, 7].map(encodeUint)])), 'CODEC_BAD_FIELD', 'a ninth item')
  // both later parameters away from their defaults
  const both = { ...DEFAULT_PARAMS, maxOpenProposals: 3, openAccounts: 0 }
  assert.equal(decodeParams(encodeParams(both)), both)
})

test.run()
