import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Bytes, fromHex, toHex, utf8 } from '../../../packages/core/src/bytes.ts'
import { isCoreError } from '../../../packages/core/src/errors.ts'
import { signBls } from '../../../packages/core/src/crypto/bls.ts'
import { SignatureKind } from '../../../packages/core/src/crypto/domain.ts'
import { encodeCommit, encodeBlock, encodeVote, voteSigningMessage } from '../../../packages/core/src/codec/objects.ts'
import { encodeRlp, encodeString, encodeUint } from '../../../packages/core/src/codec/rlp.ts'
import { encodeCounterAdd, encodeKvSet } from '../../../packages/core/src/machines/payloads.ts'
import { type ServerOutput, Server, loadVotedBlocks, readFrames } from '../../../packages/core/src/machines/server.ts'
import { encodeServerInput } from '../../../packages/core/src/machines/server-input.ts'
import { MemoryStore } from '../../../packages/core/src/storage/memory.ts'
import { PREFIX_FRAME, prefixRange } from '../../../packages/core/src/storage/schema.ts'
import { TxKind, VoteStep } from '../../../packages/core/src/types/chain.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()
const SERVER_ID = new Uint8Array(32).fill(0xaa)
const options = (store: MemoryStore) => ({
  id: SERVER_ID,
  store,
  entities: [chain.genesis],
  validatorSeeds: [seed('v-bls-0')],
  accountSeeds: [seed('v-acct-0')],
})

const own = (n: number) => [encodeString('counter.add'), encodeUint(n)]

function only<T extends ServerOutput['type']>(out: ServerOutput[], type: T): Extract<ServerOutput, { type: T }> {
  assert.is(out.length, 1, JSON.stringify(out.map((o) => o.type)))
  assert.is(out[0]!.type, type, JSON.stringify(out[0]))
  return out[0] as Extract<ServerOutput, { type: T }>
}

/** Drives one server through signing, admitting and committing, sealing after each step. */
async function drive(server: Server): Promise<void> {
  const account = chain.validators[0]!.account
  const signed = only(
    server.receive(encodeServerInput([[account.id, [encodeString('tx'), encodeString(chain.network), chain.entity, encodeUint(0), encodeString(TxKind.KvSet), encodeKvSet('a', utf8('1'))]]])),
    'tx.signed',
  )
  only(server.receive(encodeServerInput([[chain.entity, [encodeString('tx'), signed.encoded]]], [own(5)])), 'tx.admitted')
  await server.seal(1000)
  const entity = server.entity(chain.entity)!
  const built = entity.propose(chain.genesis.time + 100, 0)
  const commit = encodeCommit(chain.commit(1, built.hash))
  const committed = only(server.receive(encodeServerInput([[chain.entity, [encodeString('block'), encodeBlock(built.block), commit]]])), 'block.committed')
  assert.is(committed.height, 1)
  await server.seal(1100)
  const vote = only(
    server.receive(encodeServerInput([[chain.validators[0]!.bls.id, [encodeString('vote'), encodeString(chain.network), chain.entity, encodeUint(0), encodeUint(2), encodeUint(0), encodeUint(VoteStep.Prevote), built.hash]]])),
    'vote.signed',
  )
  assert.is(vote.vote.height, 2)
  await server.seal(1200)
}

test('routes inputs to signers, entities and itself, and seals frames with a chained hash', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  await drive(server)
  assert.is(server.frameHeight, 3)
  assert.is(server.ownCounter, 5)
  assert.is(server.entity(chain.entity)!.tip.height, 1)
  const frames = []
  for await (const f of readFrames(store)) frames.push(f)
  assert.equal(frames.map((f) => f.height), [1, 2, 3])
  assert.is(frames[0]!.prevHash, null)
  assert.is(toHex(frames[1]!.prevHash!), toHex(frames[0]!.hash))
  assert.is(toHex(frames[2]!.prevHash!), toHex(frames[1]!.hash))
  assert.is(await server.seal(1300), undefined, 'nothing happened: no frame')
})

test('reopening the store restores the server exactly', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  await drive(server)
  const reopened = await Server.open(options(store))
  assert.is(toHex(reopened.stateHash()), toHex(server.stateHash()))
  assert.is(reopened.frameHeight, 3)
  assert.is(reopened.ownCounter, 5)
  assert.is(toHex(reopened.entity(chain.entity)!.tip.state.root()), toHex(server.entity(chain.entity)!.tip.state.root()))
  // the restored signer still refuses to sign a conflicting vote at the height it signed at
  const conflict = reopened.receive(encodeServerInput([[chain.validators[0]!.bls.id, [encodeString('vote'), encodeString(chain.network), chain.entity, encodeUint(0), encodeUint(2), encodeUint(0), encodeUint(VoteStep.Prevote), new Uint8Array(32)]]]))
  assert.is(conflict[0]!.type, 'input.rejected')
  assert.is((conflict[0] as { code: string }).code, 'VOTE_CONFLICT')
})

test('replaying the frames reproduces every state hash', async () => {
  const store = new MemoryStore()
  await drive(await Server.open(options(store)))
  const fresh = await Server.open(options(new MemoryStore()))
  for await (const frame of readFrames(store)) {
    for (const input of frame.inputs) fresh.receive(input)
    const replayed = await fresh.seal(frame.time)
    assert.ok(replayed, `frame ${frame.height}`)
    assert.is(toHex(replayed!.stateHash), toHex(frame.stateHash), `frame ${frame.height}`)
  }
  assert.is(fresh.ownCounter, 5)
})

test('a stored root that does not match the state is refused on open', async () => {
  const store = new MemoryStore()
  await drive(await Server.open(options(store)))
  // a machine the stored state hash does not know about: the state no longer matches
  const other = makeChain([1, 1, 1, 1], chain.network, 'x')
  let code: string | undefined
  try {
    await Server.open({ ...options(store), entities: [chain.genesis, other.genesis] })
  } catch (err) {
    code = (err as { code?: string }).code
  }
  assert.is(code, 'SERVER_STATE_MISMATCH')
})

test('malformed inputs are refused whole and not logged; rejected operations are logged', async () => {
  const server = await Server.open(options(new MemoryStore()))
  const cases: Array<[string, Bytes, string]> = [
    ['garbage', fromHex('ff00ff'), 'CODEC_MALFORMED'],
    ['not a list', encodeRlp(utf8('hi')), 'CODEC_BAD_FIELD'],
    ['more keys than values', encodeRlp([[chain.entity, chain.entity], [encodeString('tx')]]), 'SERVER_BAD_INPUT'],
    ['unknown machine', encodeServerInput([[new Uint8Array(32).fill(9), [encodeString('tx')]]]), 'SERVER_UNKNOWN_MACHINE'],
    ['short key', encodeRlp([[new Uint8Array(5)], []]), 'CODEC_BAD_FIELD'],
  ]
  for (const [name, input, code] of cases) {
    const out = server.receive(input)
    assert.is(out[0]?.type, 'input.rejected', name)
    assert.is((out[0] as { code: string }).code, code, name)
  }
  assert.is(await server.seal(1), undefined, 'refused inputs are not logged')
  const badTx = server.receive(encodeServerInput([[chain.entity, [encodeString('tx'), fromHex('c0')]]]))
  assert.is(badTx[0]!.type, 'tx.rejected')
  assert.is(await server.seal(2), undefined, 'a refused transaction changed nothing: not logged either')
  const badOwn = server.receive(encodeServerInput([], [[encodeString('mint'), encodeUint(1)]]))
  assert.is(badOwn[0]!.type, 'input.rejected')
  const frame = await server.seal(3)
  assert.is(frame!.inputs.length, 1, 'a well-formed input a machine refused is logged')
})

test('votes the engine signed are recorded with their blocks and come back after a reopen', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  const signer = server.validator(chain.validators[0]!.bls.id)!
  const entity = server.entity(chain.entity)!
  const built = entity.propose(chain.genesis.time + 100, 0)
  const domain = { network: chain.network, entity: chain.entity, kind: SignatureKind.Vote }
  const vote = (height: number, round: number, blockHash: Bytes | null) => {
    const target = { height, round, step: VoteStep.Precommit, blockHash }
    return { network: chain.network, entity: chain.entity, validator: 0, ...target, signature: signBls(chain.validators[0]!.blsSecret, domain, voteSigningMessage(target)) }
  }
  const record = (v: ReturnType<typeof vote>, block: Bytes = new Uint8Array(0)) =>
    server.receive(encodeServerInput([[signer.id, [encodeString('vote.record'), encodeVote(v), block]]]))
  assert.is(record(vote(1, 0, built.hash), encodeBlock(built.block))[0]!.type, 'vote.recorded')
  const conflict = record(vote(1, 0, new Uint8Array(32).fill(3)))
  assert.is((conflict[0] as { code?: string }).code, 'VOTE_CONFLICT')
  await server.seal(1)

  const reopened = await Server.open(options(store))
  const restored = reopened.validator(signer.id)!
  assert.equal(restored.signedVotes(chain.entity).map((v) => v.height), [1])
  const blocks = await loadVotedBlocks(store, restored, chain.entity)
  assert.is(blocks.length, 1)
  assert.equal(blocks[0]!.bytes, encodeBlock(built.block))
  // a vote at a new height drops the old height's block
  reopened.receive(encodeServerInput([[signer.id, [encodeString('vote.record'), encodeVote(vote(2, 0, null)), new Uint8Array(0)]]]))
  await reopened.seal(2)
  assert.is((await loadVotedBlocks(store, restored, chain.entity)).length, 0)
  const back = reopened.receive(encodeServerInput([[signer.id, [encodeString('vote.record'), encodeVote(vote(1, 1, null)), new Uint8Array(0)]]]))
  assert.is((back[0] as { code?: string }).code, 'VOTE_CONFLICT', 'no going back in height')
})

test('waiting transactions survive a restart, and leave the persisted pool when committed', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  const account = chain.validators[1]!.account
  const txs = [0, 1].map((nonce) => chain.tx(account, nonce, TxKind.CounterAdd, encodeCounterAdd(1)))
  for (const tx of txs) only(server.receive(encodeServerInput([[chain.entity, [encodeString('tx'), tx]]])), 'tx.admitted')
  await server.flush(1)

  const reopened = await Server.open(options(store))
  const entity = reopened.entity(chain.entity)!
  assert.is(entity.mempool.size, 2, 'both back in the pool after a reopen')
  const built = entity.propose(chain.genesis.time + 100, 0)
  assert.is(built.txHashes.length, 2)
  only(reopened.receive(encodeServerInput([[chain.entity, [encodeString('block'), encodeBlock(built.block), encodeCommit(chain.commit(1, built.hash))]]])), 'block.committed')
  await reopened.flush(2)

  const again = await Server.open(options(store))
  assert.is(again.entity(chain.entity)!.mempool.size, 0, 'committed ones are not reloaded')
  assert.is(again.entity(chain.entity)!.tip.height, 1)
})

test('after a failed write the server stops taking inputs (fail-stop)', async () => {
  class FailingStore extends MemoryStore {
    failing = false
    override async batch(...args: Parameters<MemoryStore['batch']>): Promise<void> {
      if (this.failing) throw new Error('disk full')
      return super.batch(...args)
    }
  }
  const store = new FailingStore()
  const server = await Server.open(options(store))
  store.failing = true
  server.receive(encodeServerInput([], [own(1)]))
  let failed: unknown
  try {
    await server.flush(1)
  } catch (err) {
    failed = err
  }
  assert.ok(failed, 'the flush reports the failed write')
  assert.throws(() => server.receive(encodeServerInput([], [own(1)])), /server stopped/)
  store.failing = false
  let again: unknown
  try {
    await server.flush(2)
  } catch (err) {
    again = err
  }
  assert.ok(again, 'it stays stopped: a restart recovers from what is on disk')
})

test('a seal chained behind a failed one writes nothing (review L-6)', async () => {
  class FailOnce extends MemoryStore {
    fails = 0
    override async batch(...args: Parameters<MemoryStore['batch']>): Promise<void> {
      if (this.fails-- > 0) throw new Error('disk full')
      return super.batch(...args)
    }
  }
  const store = new FailOnce()
  const server = await Server.open(options(store))
  store.fails = 1
  // two seals called directly, the second queued behind the first's write
  server.receive(encodeServerInput([], [own(1)]))
  const first = server.seal(1)
  server.receive(encodeServerInput([], [own(1)]))
  const second = server.seal(2)
  const outcomes = await Promise.allSettled([first, second])
  assert.equal(outcomes.map((o) => o.status), ['rejected', 'rejected'])
  const reopened = await Server.open(options(store))
  assert.is(reopened.frameHeight, 0, 'frame 2 would chain onto a frame 1 that is not on disk')
})

/** Frame heights in the index and the number of frame bodies, read straight from the store. */
async function storedFrames(store: MemoryStore): Promise<{ heights: number[]; bodies: number }> {
  const heights: number[] = []
  for await (const f of readFrames(store)) heights.push(f.height)
  let bodies = 0
  for await (const _ of store.iterate(prefixRange(new Uint8Array([PREFIX_FRAME])))) bodies++
  return { heights, bodies }
}

/** Seals `n` frames, each with one own input. */
async function sealMany(server: Server, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    server.receive(encodeServerInput([], [own(1)]))
    await server.seal(2000 + i)
  }
}

test('keepFrames: each seal deletes the frame leaving the window, index and body, and nothing else', async () => {
  const store = new MemoryStore()
  const server = await Server.open({ ...options(store), keepFrames: 5 })
  await drive(server)
  await sealMany(server, 17)
  assert.is(server.frameHeight, 20)
  assert.equal(await storedFrames(store), { heights: [16, 17, 18, 19, 20], bodies: 5 })
  // the block committed in frame 2 and the state are untouched; a reopen restores exactly
  const reopened = await Server.open({ ...options(store), keepFrames: 5 })
  assert.is(toHex(reopened.stateHash()), toHex(server.stateHash()))
  assert.is(reopened.ownCounter, 5 + 17)
  assert.is(reopened.entity(chain.entity)!.tip.height, 1)
  await sealMany(reopened, 1)
  assert.equal(await storedFrames(store), { heights: [17, 18, 19, 20, 21], bodies: 5 })
  // the frames kept still chain to one another
  const kept = []
  for await (const f of readFrames(store)) kept.push(f)
  for (let i = 1; i < kept.length; i++) assert.is(toHex(kept[i]!.prevHash!), toHex(kept[i - 1]!.hash))
})

test('keepFrames: a log kept whole is trimmed when the node opens with a window, and 0 keeps everything', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  await sealMany(server, 30)
  assert.equal((await storedFrames(store)).bodies, 30, 'the default keeps every frame')
  const trimmed = await Server.open({ ...options(store), keepFrames: 4 })
  assert.equal(await storedFrames(store), { heights: [27, 28, 29, 30], bodies: 4 })
  assert.is(toHex(trimmed.stateHash()), toHex(server.stateHash()))
  const all = await Server.open({ ...options(store), keepFrames: 0 })
  await sealMany(all, 3)
  assert.equal(await storedFrames(store), { heights: [27, 28, 29, 30, 31, 32, 33], bodies: 7 })
  for (const bad of [-1, 1.5, Number.NaN]) {
    const outcome = await Server.open({ ...options(store), keepFrames: bad }).then(
      () => 'accepted',
      (err: unknown) => (isCoreError(err) ? err.code : String(err)),
    )
    assert.is(outcome, 'SERVER_BAD_INPUT', `keepFrames ${bad}`)
  }
})


test('onDirty fires when the first input after a seal arrives, not for later ones or refused ones', async () => {
  const store = new MemoryStore()
  const server = await Server.open(options(store))
  let calls = 0
  server.onDirty(() => calls++)
  server.receive(encodeServerInput([], [own(1)]))
  server.receive(encodeServerInput([], [own(2)]))
  assert.is(calls, 1, 'once for the open frame')
  await server.seal(1000)
  assert.is(server.dirty, false)
  server.receive(new Uint8Array([0xc1, 0xff]))
  assert.is(calls, 1, 'a malformed input changes nothing and wakes no one')
  server.receive(encodeServerInput([], [own(3)]))
  assert.is(calls, 2, 'again after the seal')
})

test.run()
