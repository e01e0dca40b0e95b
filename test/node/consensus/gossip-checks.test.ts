// What the consensus loop says to gossip about each proposal, vote and commit (the verdict that
// decides whether gossipsub forwards it and scores its sender), for the holes of review H-1, H-2
// and H-3: replays re-wrapped in a new envelope, next-height messages kept unverified, far
// rounds, proposals from a validator that does not own the round. Driven through the loop's
// public receive methods over a real server machine, as gossip drives them.

import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { VoteStep, buildBlock, encodeBlock, genesisState } from '../../../packages/core/src/index.ts'
import { ROUND_WINDOW } from '../../../packages/node/src/consensus/inbox.ts'
import { waitFor } from '../../e2e/cluster.ts'
import { type Harness, blockAt, commitMessage, proposalMessage, proposerOf, startLoop, voteMessage } from './harness.ts'

const PEER = 'peer-a'

const checks = suite<{ h: Harness }>('consensus gossip checks')

checks.before.each(async (ctx) => {
  ctx.h = await startLoop()
})

checks.after.each((ctx) => {
  ctx.h.stop()
})

const nil = (height: number, round = 0, step: VoteStep = VoteStep.Prevote) => ({ height, round, step, blockHash: null })

checks('a vote is accepted once; the same vote re-wrapped with a new sequence is ignored, not forwarded (H-3)', ({ h }) => {
  assert.is(h.loop.height, 1)
  assert.is(h.loop.receiveVote(voteMessage(h.chain, 1, nil(1)), PEER), 'accept')
  for (let sequence = 1; sequence <= 5; sequence++) {
    assert.is(h.loop.receiveVote(voteMessage(h.chain, 1, nil(1), sequence), PEER), 'ignore', `sequence ${sequence}`)
  }
  assert.is(h.useless.length, 5, 'each replay counts against the sender')
})

checks('a proposal is accepted once; re-wrapped copies are ignored (H-3)', ({ h }) => {
  const proposer = proposerOf(h.chain, 1, 0)
  const state = genesisState(h.chain.genesis).state
  const block = blockAt(h.chain, 1, h.chain.entity, state.root(), state.validatorsHash(), proposer)
  assert.is(h.loop.receiveProposal(proposalMessage(h.chain, proposer, 1, 0, block), PEER), 'accept')
  for (let sequence = 1; sequence <= 3; sequence++) {
    assert.is(h.loop.receiveProposal(proposalMessage(h.chain, proposer, 1, 0, block, sequence), PEER), 'ignore', `sequence ${sequence}`)
  }
})

checks('a proposal signed by a validator that does not own the round is rejected (H-3)', ({ h }) => {
  const owner = proposerOf(h.chain, 1, 0)
  const other = (owner + 1) % 4
  const state = genesisState(h.chain.genesis).state
  const block = blockAt(h.chain, 1, h.chain.entity, state.root(), state.validatorsHash(), other)
  assert.is(h.loop.receiveProposal(proposalMessage(h.chain, other, 1, 0, block), PEER), 'reject')
})

checks('proposals for rounds past the next are ignored without validation (H-1)', ({ h }) => {
  const state = genesisState(h.chain.genesis).state
  for (const round of [2, 5, 100, 1000]) {
    const proposer = proposerOf(h.chain, 1, round)
    const block = blockAt(h.chain, 1, h.chain.entity, state.root(), state.validatorsHash(), proposer, h.chain.genesis.time + round)
    assert.is(h.loop.receiveProposal(proposalMessage(h.chain, proposer, 1, round, block), PEER), 'ignore', `round ${round}`)
  }
  const next = proposerOf(h.chain, 1, 1)
  const block = blockAt(h.chain, 1, h.chain.entity, state.root(), state.validatorsHash(), next, h.chain.genesis.time + 1)
  assert.is(h.loop.receiveProposal(proposalMessage(h.chain, next, 1, 1, block), PEER), 'accept', 'round 1 is taken')
})

checks('votes far ahead in rounds are ignored before any signature check (H-3)', ({ h }) => {
  const bad = voteMessage(h.chain, 2, nil(1, ROUND_WINDOW + 1))
  bad[bad.length - 3]! ^= 0xff // inside the signature: a check would reject it
  assert.is(h.loop.receiveVote(bad, PEER), 'ignore')
  assert.ok(h.useless.some((u) => u.what.includes('far-round')))
})

checks('next-height votes are verified now: a bad signature is rejected, a good one kept and forwarded (H-2)', ({ h }) => {
  const bad = voteMessage(h.chain, 2, nil(2))
  bad[bad.length - 3]! ^= 0xff
  assert.is(h.loop.receiveVote(bad, PEER), 'reject')
  assert.is(h.loop.receiveVote(voteMessage(h.chain, 3, nil(2)), PEER), 'accept')
  assert.is(h.loop.receiveVote(voteMessage(h.chain, 3, nil(2), 9), PEER), 'ignore', 'and only once')
  assert.is(h.loop.receiveVote(voteMessage(h.chain, 3, nil(3)), PEER), 'ignore', 'two heights ahead: not ours to check')
})

checks('one validator cannot make a node hold more than one conflicting value per round and step', ({ h }) => {
  const value = (i: number) => ({ height: 1, round: 0, step: VoteStep.Prevote, blockHash: new Uint8Array(32).fill(i) })
  assert.is(h.loop.receiveVote(voteMessage(h.chain, 1, value(1)), PEER), 'accept')
  assert.is(h.loop.receiveVote(voteMessage(h.chain, 1, value(2)), PEER), 'accept', 'the conflict, kept as evidence')
  for (let i = 3; i < 10; i++) assert.is(h.loop.receiveVote(voteMessage(h.chain, 1, value(i)), PEER), 'ignore', `value ${i}`)
})

checks('a commit of the height being decided decides it; other certificates for it are then ignored', async ({ h }) => {
  // a block that executes: an empty block on the genesis state, by the proposer of round 0
  const tip = { height: 0, hash: h.chain.entity, time: h.chain.genesis.time, state: genesisState(h.chain.genesis).state }
  const executed = buildBlock({ tip, chain: { network: h.chain.network, entity: h.chain.entity }, time: tip.time + 1, proposer: proposerOf(h.chain, 1, 0), candidates: [] })
  const block = { hash: executed.hash, bytes: encodeBlock(executed.block) }
  assert.is(h.loop.receiveCommit(commitMessage(h.chain, 1, block, [0, 1, 2]), PEER), 'accept')
  assert.is(h.loop.receiveCommit(commitMessage(h.chain, 1, block, [1, 2, 3]), PEER), 'ignore', 'another quorum of the same block')
  const forged = commitMessage(h.chain, 1, block, [0, 1, 2])
  forged[forged.length - 5]! ^= 0xff
  assert.is(h.loop.receiveCommit(forged, PEER), 'ignore', 'the height is taken: not even checked')
  await waitFor('height 1 decided and applied', () => h.server.entity(h.chain.entity)!.tip.height === 1, 5_000, 10)
  // late proposals for the height just decided: ignored, unless their signer never owned the round
  await waitFor('height 2 started', () => h.loop.height === 2, 5_000, 10)
  const owner = proposerOf(h.chain, 1, 3)
  const late = blockAt(h.chain, 1, h.chain.entity, executed.state.root(), genesisState(h.chain.genesis).state.validatorsHash(), owner)
  assert.is(h.loop.receiveProposal(proposalMessage(h.chain, owner, 1, 3, late), PEER), 'ignore', 'late, from the owner of the round')
  assert.is(h.loop.receiveProposal(proposalMessage(h.chain, (owner + 1) % 4, 1, 3, late), PEER), 'reject', 'late, from a validator that never owned the round')
})

checks('a forged certificate for the height being decided is rejected', ({ h }) => {
  const state = genesisState(h.chain.genesis).state
  const block = blockAt(h.chain, 1, h.chain.entity, state.root(), state.validatorsHash(), 0)
  const forged = commitMessage(h.chain, 1, block, [0, 1, 2])
  forged[forged.length - 5]! ^= 0xff
  assert.is(h.loop.receiveCommit(forged, PEER), 'reject')
})


checks('proposals heights late are still judged by their schedule: a non-owner is rejected, the owner ignored as stale', async ({ h }) => {
  // decide heights 1..3 by certificates, each an empty block on the one before
  let tip = { height: 0, hash: h.chain.entity, time: h.chain.genesis.time, state: genesisState(h.chain.genesis).state }
  for (let height = 1; height <= 3; height++) {
    const executed = buildBlock({ tip, chain: { network: h.chain.network, entity: h.chain.entity }, time: tip.time + 1, proposer: proposerOf(h.chain, height, 0), candidates: [] })
    assert.is(h.loop.receiveCommit(commitMessage(h.chain, height, { hash: executed.hash, bytes: encodeBlock(executed.block) }, [0, 1, 2]), PEER), 'accept', `height ${height}`)
    await waitFor(`height ${height + 1} started`, () => h.loop.height === height + 1, 5_000, 10)
    tip = { height, hash: executed.hash, time: tip.time + 1, state: executed.state }
  }
  const state = genesisState(h.chain.genesis).state
  const owner = proposerOf(h.chain, 1, 5)
  const late = blockAt(h.chain, 1, h.chain.entity, state.root(), state.validatorsHash(), owner)
  h.useless.length = 0
  assert.is(h.loop.receiveProposal(proposalMessage(h.chain, (owner + 1) % 4, 1, 5, late), PEER), 'reject', 'three heights late, from a validator that never owned the round')
  assert.is(h.loop.receiveProposal(proposalMessage(h.chain, owner, 1, 5, late), PEER), 'ignore', 'three heights late, from the owner')
  assert.ok(h.useless.some((u) => u.what.includes('stale')), 'and counted as useless')
})

checks.run()
