// The validator's double-sign record beside its key: what it accepts and refuses, what survives a
// reload, which key a record belongs to, and what reset and start do with it. The file itself
// (slots, torn writes, damage) is in signer-state-file.test.ts.

import { readFile, stat, writeFile } from 'node:fs/promises'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ValidatorSigner, encodeVote, toHex } from '../../../packages/core/src/index.ts'
import { SignerState, listSignerStates, removeSignerState, setAsideSignerState, signerStatePath } from '../../../packages/node/src/home/signer-state.ts'
import { BLOCK_A, BLOCK_B, ENTITY, OTHER_ENTITY, Precommit, Prevote, rejects, signerHomes, vote } from './signer-helpers.ts'

const homes = signerHomes('p2pnode-signer-')
test.before(homes.open)
test.after(homes.close)

test('a key with no record may sign anywhere, and no file exists until its first vote', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  assert.is(state.highWater(ENTITY), undefined)
  assert.ok(state.maySignAt(ENTITY, 1))
  assert.equal(await listSignerStates(paths.keys), [])
  await state.record(vote(key, 1, 0, Prevote, BLOCK_A))
  assert.equal(await listSignerStates(paths.keys), [signerStatePath(paths.keys, key.publicKey)])
  assert.is((await stat(state.path)).mode & 0o777, 0o600)
  assert.ok(state.path.includes(toHex(key.publicKey).slice(0, 16)), 'the file is named for its key')
})

test('record moves the mark; a reload gives the same mark and votes (the engine restores them as its own)', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  const prevote = vote(key, 5, 0, Prevote, BLOCK_A)
  const precommit = vote(key, 5, 0, Precommit, BLOCK_A)
  await state.record(prevote)
  await state.record(precommit)
  const reloaded = await SignerState.load(paths, key.publicKey)
  assert.equal(reloaded.highWater(ENTITY), { height: 5, round: 0, step: Precommit, blockHash: BLOCK_A })
  assert.equal(reloaded.votesAt(ENTITY, 5).map(encodeVote), [prevote, precommit].map(encodeVote))
  assert.equal(reloaded.votesAt(ENTITY, 4), [])
  // a new height: the old height's votes are dropped, the mark follows
  await reloaded.record(vote(key, 6, 0, Prevote, null))
  const again = await SignerState.load(paths, key.publicKey)
  assert.equal(again.highWater(ENTITY), { height: 6, round: 0, step: Prevote, blockHash: null })
  assert.equal(again.votesAt(ENTITY, 5), [])
  assert.is(again.votesAt(ENTITY, 6).length, 1)
  assert.not.ok(again.maySignAt(ENTITY, 5), 'below the mark the node only follows')
  assert.ok(again.maySignAt(ENTITY, 6))
})

test('record refuses a conflicting or lower vote and writes nothing; a vote already recorded is accepted', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 9, 1, Prevote, BLOCK_A))
  await state.record(vote(key, 9, 1, Precommit, BLOCK_A))
  const before = await readFile(state.path)
  await rejects(() => state.record(vote(key, 9, 1, Precommit, BLOCK_B)), 'SIGNER_CONFLICT', 'another block at the mark')
  await rejects(() => state.record(vote(key, 9, 1, Prevote, null)), 'SIGNER_CONFLICT', 'nil where a block was signed')
  await rejects(() => state.record(vote(key, 9, 0, Prevote, BLOCK_B)), 'SIGNER_REGRESSION', 'an earlier round')
  await rejects(() => state.record(vote(key, 8, 3, Precommit, BLOCK_B)), 'SIGNER_REGRESSION', 'an earlier height')
  await state.record(vote(key, 9, 1, Prevote, BLOCK_A)) // a re-broadcast of a restored vote
  await state.record(vote(key, 9, 1, Precommit, BLOCK_A))
  assert.equal(await readFile(state.path), before, 'nothing was written')
  // the refusals left the state usable
  await state.record(vote(key, 9, 2, Prevote, BLOCK_B))
  assert.is(state.highWater(ENTITY)!.round, 2)
})

test('entities are apart: a mark for one says nothing of another', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 20, 0, Precommit, BLOCK_A))
  await state.record(vote(key, 3, 0, Prevote, BLOCK_B, OTHER_ENTITY))
  const reloaded = await SignerState.load(paths, key.publicKey)
  assert.is(reloaded.highWater(ENTITY)!.height, 20)
  assert.is(reloaded.highWater(OTHER_ENTITY)!.height, 3)
  assert.ok(reloaded.maySignAt(OTHER_ENTITY, 4))
})

test('a height of many rounds keeps only the latest round and the lock: the file stays small', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 4, 0, Prevote, BLOCK_A))
  await state.record(vote(key, 4, 0, Precommit, BLOCK_A)) // the lock
  for (let round = 1; round < 50; round++) {
    await state.record(vote(key, 4, round, Prevote, null))
    await state.record(vote(key, 4, round, Precommit, null))
  }
  const votes = (await SignerState.load(paths, key.publicKey)).votesAt(ENTITY, 4)
  assert.equal(votes.map((v) => `${v.round}/${v.step}`), ['0/1', '0/2', '49/1', '49/2'])
  // two slots of a page each: every record writes one page
  assert.is((await stat(state.path)).size, 2 * 4096, `${(await stat(state.path)).size} bytes`)
  // a pruned round is still below the mark
  await rejects(() => state.record(vote(key, 4, 7, Prevote, BLOCK_B)), 'SIGNER_REGRESSION', 'a pruned round')
})

test('records made at once are written one after the other', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await Promise.all([state.record(vote(key, 2, 0, Prevote, BLOCK_A)), state.record(vote(key, 2, 0, Precommit, BLOCK_A)), state.record(vote(key, 3, 0, Prevote, BLOCK_B))])
  const reloaded = await SignerState.load(paths, key.publicKey)
  assert.equal(reloaded.highWater(ENTITY), { height: 3, round: 0, step: Prevote, blockHash: BLOCK_B })
})

test('startHeight: below the mark no signing; at it the kept votes; ledger votes above it are recorded first', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  const prevote = vote(key, 10, 0, Prevote, BLOCK_A)
  await state.record(prevote)
  assert.equal(await state.startHeight(ENTITY, 9), { sign: false, votes: [] })
  assert.equal(await state.startHeight(ENTITY, 11), { sign: true, votes: [] })
  // the database holds a precommit the file lacks (a crash between the two writes)
  const precommit = vote(key, 10, 0, Precommit, BLOCK_A)
  const start = await state.startHeight(ENTITY, 10, [precommit, prevote, vote(key, 9, 0, Prevote, BLOCK_B)])
  assert.ok(start.sign)
  assert.equal(start.votes.map(encodeVote), [prevote, precommit].map(encodeVote))
  assert.equal((await SignerState.load(paths, key.publicKey)).highWater(ENTITY)!.step, Precommit, 'recorded before the engine re-broadcasts it')
  await rejects(() => state.startHeight(ENTITY, 10, [vote(key, 10, 0, Prevote, BLOCK_B)]), 'SIGNER_CONFLICT', 'a ledger that disagrees with the file')
})

test('another key\'s record never applies: its own name, and a copy under this key\'s name is refused', async () => {
  const { paths, key } = await homes.fresh()
  const other = new ValidatorSigner(new Uint8Array(32).fill(200))
  const theirs = await SignerState.load(paths, other.publicKey)
  await theirs.record(vote(other, 30, 0, Precommit, BLOCK_A))
  const mine = await SignerState.load(paths, key.publicKey)
  assert.is(mine.highWater(ENTITY), undefined)
  assert.is.not(mine.path, theirs.path)
  await writeFile(mine.path, await readFile(theirs.path))
  await rejects(() => SignerState.load(paths, key.publicKey), 'SIGNER_STATE_WRONG_KEY', 'a copied file')
})

test('removeSignerState and setAsideSignerState: what reset and start --unsafe-reset-signer do', async () => {
  const { paths, key } = await homes.fresh()
  const state = await SignerState.load(paths, key.publicKey)
  await state.record(vote(key, 3, 0, Prevote, BLOCK_A))
  const aside = await setAsideSignerState(paths.keys, key.publicKey)
  assert.is(aside, `${state.path}.corrupt`)
  assert.is((await SignerState.load(paths, key.publicKey)).highWater(ENTITY), undefined)
  assert.equal(await listSignerStates(paths.keys), [], 'the .corrupt copy is not a record')
  await (await SignerState.load(paths, key.publicKey)).record(vote(key, 1, 0, Prevote, BLOCK_A))
  assert.ok(await removeSignerState(paths.keys, key.publicKey))
  assert.not.ok(await removeSignerState(paths.keys, key.publicKey), 'nothing left to remove')
  assert.is((await SignerState.load(paths, key.publicKey)).highWater(ENTITY), undefined)
})

test.run()
