// Entities joined at run time (Server.host, Server.leave): the join is logged in the frame and
// kept in the server root, so a restart hosts the same entities with the same state; a join not
// yet sealed is forgotten whole; a left entity's chain stays in the store for a later join; a
// replay of the frames reproduces every state hash through the joins and leaves.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { toHex } from '../../../packages/core/src/bytes.ts'
import { encodeBlock, encodeCommit, encodeTx } from '../../../packages/core/src/codec/objects.ts'
import { encodeKvSet } from '../../../packages/core/src/machines/payloads.ts'
import { Server, readFrames } from '../../../packages/core/src/machines/server.ts'
import { blockInput, counterAddValue, encodeServerInput, entityHostValue, txInput } from '../../../packages/core/src/machines/server-input.ts'
import { encodeGenesis } from '../../../packages/core/src/machines/genesis.ts'
import { AccountSigner, ValidatorSigner } from '../../../packages/core/src/machines/signer.ts'
import { MemoryStore } from '../../../packages/core/src/storage/memory.ts'
import { TxKind } from '../../../packages/core/src/types/chain.ts'
import { utf8 } from '../../../packages/core/src/bytes.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'
import { code } from '../../fixtures/errors.ts'

const root = makeChain()
const shop = makeChain([1, 1, 1], 'testnet', 'shop')
const SERVER_ID = new Uint8Array(32).fill(0xbb)
const options = (store: MemoryStore) => ({ id: SERVER_ID, store, entities: [root.genesis], validatorSeeds: [seed('v-bls-0')], accountSeeds: [seed('v-acct-0')] })

/** Commits block 1 of `shop` on the server (an empty block by its proposer of round 0, a real certificate). */
async function commitShopBlock(server: Server, time: number): Promise<void> {
  const entity = server.entity(shop.entity)!
  const alice = new AccountSigner(seed('alice'))
  server.receive(txInput(shop.entity, encodeTx(alice.signTransaction({ network: shop.network, entity: shop.entity, nonce: 0, kind: TxKind.KvSet, payload: encodeKvSet('k', utf8('v')) }))))
  const built = entity.propose(shop.genesis.time + 100, 0)
  const out = server.receive(blockInput(shop.entity, encodeBlock(built.block), encodeCommit(shop.commit(1, built.hash))))
  assert.is(out[0]!.type, 'block.committed')
  await server.seal(time)
}

test('a joined entity is logged, kept in the root, and hosted again after a restart with its chain', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  const entity = await server.host(shop.genesis)
  assert.is(toHex(entity.id), toHex(shop.entity))
  assert.ok(server.isJoined(shop.entity))
  assert.is(await server.host(shop.genesis), entity, 'joining twice is joining once')
  await server.seal(1000)
  await commitShopBlock(server, 1100)
  const frames = []
  for await (const f of readFrames(store)) frames.push(f)
  assert.is(frames.length, 2)
  const reopened = await Server.open(options(store))
  assert.ok(reopened.isJoined(shop.entity))
  assert.is(reopened.entity(shop.entity)!.tip.height, 1)
  assert.is(toHex(reopened.stateHash()), toHex(server.stateHash()))
  assert.is(reopened.entityIds().length, 2)
})

test('a join not sealed yet is forgotten whole by a restart', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  await server.seal(900) // nothing: no frame
  await server.host(shop.genesis)
  const reopened = await Server.open(options(store))
  assert.not.ok(reopened.isJoined(shop.entity))
  assert.is(reopened.entity(shop.entity), undefined)
})

test('leave stops hosting; the chain stays in the store, and a later join finds it', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  await server.host(shop.genesis)
  await commitShopBlock(server, 1000)
  server.leave(shop.entity)
  assert.is(server.entity(shop.entity), undefined)
  await server.seal(1100)
  const reopened = await Server.open(options(store))
  assert.is(reopened.entity(shop.entity), undefined, 'not hosted after the restart')
  const again = await reopened.host(shop.genesis)
  assert.is(again.tip.height, 1, 'its chain was kept')
  assert.is(code(() => reopened.leave(root.entity)), 'SERVER_UNKNOWN_MACHINE', 'the configured root cannot be left')
})

test('an entity.host value for an entity not opened is rejected, and logs nothing', async () => {
  const server = await Server.open(options(new MemoryStore()))
  const out = server.receive(encodeServerInput([], [entityHostValue(encodeGenesis(shop.genesis))]))
  assert.is(out[0]!.type, 'input.rejected')
  assert.is((out[0] as { code: string }).code, 'SERVER_UNKNOWN_MACHINE')
  assert.is(server.entity(shop.entity), undefined)
})

test('replaying the frames through joins and leaves reproduces every state hash', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  await server.host(shop.genesis)
  await server.seal(1000)
  await commitShopBlock(server, 1100)
  server.leave(shop.entity)
  await server.seal(1200)
  await server.host(shop.genesis)
  await server.seal(1300)
  const fresh = await Server.open(options(new MemoryStore()))
  let n = 0
  for await (const frame of readFrames(store)) {
    for (const input of frame.inputs) await fresh.replay(input)
    const replayed = await fresh.seal(frame.time)
    assert.is(toHex(replayed!.stateHash), toHex(frame.stateHash), `frame ${frame.height}`)
    n++
  }
  assert.is(n, 4)
  assert.is(fresh.entity(shop.entity)!.tip.height, 1)
})

test('a validator key added between two runs is counted from its first frame; one removed is named', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  await server.host(shop.genesis)
  await server.seal(1000)
  const more = { ...options(store), validatorSeeds: [seed('v-bls-0'), seed('another-key')] }
  const reopened = await Server.open(more) // the new key was in no frame: not counted yet
  assert.ok(reopened.validator(new ValidatorSigner(seed('another-key')).id))
  reopened.receive(encodeServerInput([], [counterAddValue(1)]))
  await reopened.seal(1100) // from here on it is
  assert.is(toHex((await Server.open(more)).stateHash()), toHex(reopened.stateHash()))
  const fewer = { ...options(store), validatorSeeds: [seed('another-key')] }
  const err = await Server.open(fewer).then(() => undefined, (e: Error) => e)
  assert.match(err?.message ?? '', /1 validator key\(s\) that signed before are not in the home/)
})

test.run()
