// The root entity's registry (machines/registry.ts): entity.create registers an entity by its
// genesis, under the hash of that genesis; the limits that stop one account or one block from
// filling it; and what a registration may not carry.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { toHex } from '../../../packages/core/src/bytes.ts'
import { type Genesis, genesisId, makeGenesis } from '../../../packages/core/src/machines/genesis.ts'
import { DEFAULT_PARAMS } from '../../../packages/core/src/machines/entity-params.ts'
import {
  encodeEntityCreate,
  entitiesOf,
  registryCount,
  registryEntry,
  registryIdByName,
  registryIds,
} from '../../../packages/core/src/machines/registry.ts'
import { AccountSigner } from '../../../packages/core/src/machines/signer.ts'
import { TxKind } from '../../../packages/core/src/types/chain.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'
import { Runner } from '../../fixtures/run.ts'

const root = () => makeChain([1, 1, 1, 1], 'testnet', 'v', { registry: 1, maxEntitiesPerAccount: 3, maxEntitiesPerBlock: 2 })

/** The genesis of an entity validated by the test chain's validators `which`, at time `time`. */
function entityGenesis(network: string, which: number[], time: number, label = 'e'): Genesis {
  const other = makeChain(which.map(() => 1), network, label)
  return makeGenesis({ network, time, validators: other.genesis.validators })
}

test('entity.create registers an entity under the hash of its genesis, with its name, creator and height', () => {
  const chain = root()
  const run = new Runner(chain)
  const alice = new AccountSigner(seed('alice'))
  const genesis = entityGenesis('testnet', [0, 1, 2], 1_700_000_001_000)
  const built = run.block([chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(genesis, 'payments'))])
  assert.equal(built.rejected, [])
  const id = genesisId(genesis)
  const entry = registryEntry(run.tip.state, id)!
  assert.ok(entry, 'registered')
  assert.is(entry.name, 'payments')
  assert.is(toHex(entry.creator), toHex(alice.address))
  assert.is(entry.height, 1)
  assert.equal(entry.genesis, genesis)
  assert.is(toHex(registryIdByName(run.tip.state, 'payments')!), toHex(id))
  assert.is(registryCount(run.tip.state), 1)
  assert.equal(registryIds(run.tip.state, 0, 10).map(toHex), [toHex(id)])
  assert.is(entitiesOf(run.tip.state, alice.address), 1)
})

test('an entity registers once, a name once', () => {
  const chain = root()
  const run = new Runner(chain)
  const alice = new AccountSigner(seed('alice'))
  const bob = new AccountSigner(seed('bob'))
  const genesis = entityGenesis('testnet', [0, 1], 1_700_000_001_000)
  run.block([chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(genesis, 'shop'))])
  const again = run.block([
    chain.tx(bob, 0, TxKind.EntityCreate, encodeEntityCreate(genesis)),
    chain.tx(bob, 0, TxKind.EntityCreate, encodeEntityCreate(entityGenesis('testnet', [0, 1], 1_700_000_002_000), 'shop')),
  ])
  assert.equal(again.rejected.map((r) => r.code), ['TX_ENTITY_EXISTS', 'TX_ENTITY_NAME_TAKEN'])
  assert.is(registryCount(run.tip.state), 1)
})

test('maxEntitiesPerBlock and maxEntitiesPerAccount bound the registry', () => {
  const chain = root()
  const run = new Runner(chain)
  const alice = new AccountSigner(seed('alice'))
  const creates = (from: AccountSigner, nonce: number, n: number, t0: number) =>
    Array.from({ length: n }, (_, i) => chain.tx(from, nonce + i, TxKind.EntityCreate, encodeEntityCreate(entityGenesis('testnet', [0], t0 + i))))
  // three in one block: the third waits (and its nonce with it)
  const first = run.block(creates(alice, 0, 3, 1_700_000_010_000))
  assert.equal(first.rejected.map((r) => r.code), ['TX_REGISTRY_BUSY'])
  assert.is(registryCount(run.tip.state), 2)
  // the account's third is fine, its fourth is over maxEntitiesPerAccount (3)
  const second = run.block(creates(alice, 2, 2, 1_700_000_020_000))
  assert.equal(second.rejected.map((r) => r.code), ['TX_TOO_MANY_ENTITIES'])
  assert.is(entitiesOf(run.tip.state, alice.address), 3)
  assert.is(registryCount(run.tip.state), 3)
})

test('a registration may not name another network, keep a registry itself, or carry a bad genesis', () => {
  const chain = root()
  const run = new Runner(chain)
  const alice = new AccountSigner(seed('alice'))
  const base = entityGenesis('testnet', [0], 1_700_000_001_000)
  const foreign = entityGenesis('othernet', [0], 1_700_000_001_000)
  const registry = makeGenesis({ ...base, params: { ...DEFAULT_PARAMS, registry: 1 } })
  // a proof of possession of another key: decodes, fails the possession check
  const stolen = { ...base, validators: [{ ...base.validators[0]!, proofOfPossession: entityGenesis('testnet', [0], 1, 'x').validators[0]!.proofOfPossession }] }
  const built = run.block([
    chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(foreign)),
    chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(registry)),
    chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(stolen)),
    chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(base, 'Bad Name')),
  ])
  assert.equal(built.rejected.map((r) => r.code), ['TX_BAD_ENTITY_GENESIS', 'TX_BAD_ENTITY_GENESIS', 'TX_BAD_ENTITY_GENESIS', 'TX_BAD_PAYLOAD'])
  assert.is(registryCount(run.tip.state), 0)
})

test('an entity that keeps no registry refuses entity.create', () => {
  const chain = makeChain()
  const run = new Runner(chain)
  const alice = new AccountSigner(seed('alice'))
  const built = run.block([chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(entityGenesis('testnet', [0], 1)))])
  assert.equal(built.rejected.map((r) => r.code), ['TX_NO_REGISTRY'])
})

test('a proposer tries at most 2 x maxEntitiesPerBlock entity.create per block, failures included; the rest wait', () => {
  const chain = root() // maxEntitiesPerBlock 2: four tries
  const run = new Runner(chain)
  const bad = entityGenesis('othernet', [0], 1) // fails late: another network
  const senders = Array.from({ length: 6 }, (_, i) => new AccountSigner(seed(`flood-${i}`)))
  const flood = senders.map((a) => chain.tx(a, 0, TxKind.EntityCreate, encodeEntityCreate(bad)))
  const alice = new AccountSigner(seed('alice'))
  const honest = chain.tx(alice, 0, TxKind.EntityCreate, encodeEntityCreate(entityGenesis('testnet', [0], 7), 'late'))
  const first = run.block([...flood, honest])
  assert.is(first.rejected.length, 4, 'four tries, all failed')
  assert.is(first.block.txs.length, 0)
  assert.is(registryCount(run.tip.state), 0, 'the honest one waits for a later block')
  const second = run.block([...flood.slice(4), honest])
  assert.is(second.rejected.length, 2)
  assert.is(registryCount(run.tip.state), 1, 'and gets in')
})

test('the registry parameters keep older encodings: a genesis at their defaults has the id it had', () => {
  const chain = makeChain()
  const withDefaults = makeGenesis({ ...chain.genesis, params: { ...DEFAULT_PARAMS } })
  assert.is(toHex(genesisId(withDefaults)), toHex(chain.entity))
})

test.run()
