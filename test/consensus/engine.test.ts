// Unit tests of the engine's rules on one node, driving it with hand-made events.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { equals, utf8 } from '../../packages/core/src/bytes.ts'
import { voteSigningMessage } from '../../packages/core/src/codec/objects.ts'
import {
  type ConsensusBlock,
  type ConsensusEffect,
  type ConsensusEvent,
  type ConsensusState,
  createEngine,
  initialState,
  type Proposal,
  proposalSigningMessage,
  MAX_HELD_BLOCK_BYTES,
  MAX_ROUNDS_AHEAD,
  proposerIndex,
  Step,
  TEST_TIMEOUTS,
  verifyEvidence,
} from '../../packages/core/src/consensus/index.ts'
import { MAX_BLOCK_BYTES } from '../../packages/core/src/limits.ts'
import { sha256 } from '../../packages/core/src/hash.ts'
import { type Validator, type Vote, VoteStep } from '../../packages/core/src/types/chain.ts'
import { createFakeCrypto, fakePublicKey } from './sim/fake-crypto.ts'

const NETWORK = 'unit'
const ENTITY = sha256(utf8('unit entity'))
const keys = [0, 1, 2, 3].map((i) => fakePublicKey(NETWORK, i))
const cryptos = keys.map((k) => createFakeCrypto(NETWORK, ENTITY, k))
const validators: Validator[] = keys.map((publicKey) => ({ publicKey, account: new Uint8Array(20), shares: 1 }))
const threshold = { numerator: 2, denominator: 3 }

function block(tag: string): ConsensusBlock {
  const bytes = utf8(tag)
  return { hash: sha256(bytes), bytes }
}

function vote(from: number, height: number, round: number, step: VoteStep, b: ConsensusBlock | null): Vote {
  const target = { height, round, step, blockHash: b ? b.hash : null }
  return { network: NETWORK, entity: ENTITY, ...target, validator: from, signature: cryptos[from]!.signVote(voteSigningMessage(target)) }
}

function proposal(height: number, round: number, b: ConsensusBlock, validRound = -1): Proposal {
  const proposer = proposerIndex(validators, height, round)
  const signature = cryptos[proposer]!.signProposal(proposalSigningMessage({ height, round, validRound, blockHash: b.hash }))
  return { height, round, validRound, block: b, proposer, signature }
}

/** A node for validator `me` that is not the proposer of (1, 0). */
function node(me: number) {
  const engine = createEngine({ network: NETWORK, entity: ENTITY, publicKey: keys[me]!, crypto: cryptos[me]!, timeouts: TEST_TIMEOUTS })
  let state: ConsensusState = initialState()
  const log: ConsensusEffect[] = []
  return {
    get state() {
      return state
    },
    log,
    send(event: ConsensusEvent): ConsensusEffect[] {
      const r = engine.step(state, event)
      state = r.state
      log.push(...r.effects)
      return r.effects
    },
  }
}

// proposes neither round 0 nor round 1 of height 1
const notProposer = [0, 1, 2, 3].find((i) => i !== proposerIndex(validators, 1, 0) && i !== proposerIndex(validators, 1, 1))!

test('happy path: valid proposal, quorum of prevotes then precommits commits with a verifying certificate', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  const b = block('one')
  const fx = n.send({ type: 'ProposalReceived', proposal: proposal(1, 0, b) })
  assert.ok(fx.some((e) => e.type === 'ValidateBlock'))
  const after = n.send({ type: 'BlockValidity', blockHash: b.hash, valid: true })
  const types = after.map((e) => e.type)
  assert.equal(types.slice(0, 2), ['PersistVote', 'BroadcastVote'])
  assert.is(n.state.step, Step.Prevote)
  for (const i of [0, 1, 2, 3]) if (i !== notProposer) n.send({ type: 'VoteReceived', vote: vote(i, 1, 0, VoteStep.Prevote, b) })
  assert.is(n.state.lockedRound, 0)
  assert.ok(equals(n.state.lockedValue!, b.hash))
  for (const i of [0, 1, 2, 3]) if (i !== notProposer) n.send({ type: 'VoteReceived', vote: vote(i, 1, 0, VoteStep.Precommit, b) })
  const commit = n.log.find((e) => e.type === 'CommitBlock')
  assert.ok(commit && commit.type === 'CommitBlock')
  assert.ok(equals(commit.blockHash, b.hash))
  assert.is(n.state.step, Step.Decided)
})

test('every PersistVote comes before the BroadcastVote of the same vote', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  n.send({ type: 'TimeoutFired', height: 1, round: 0, step: Step.Propose })
  n.send({ type: 'TimeoutFired', height: 1, round: 0, step: Step.Prevote })
  const persisted = new Set<Vote>()
  for (const e of n.log) {
    if (e.type === 'PersistVote') persisted.add(e.vote)
    if (e.type === 'BroadcastVote') assert.ok(persisted.has(e.vote), `vote r${e.vote.round} s${e.vote.step}`)
  }
  assert.is(persisted.size, 2)
})

test('an invalid block gets a nil prevote', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  const b = block('bad')
  n.send({ type: 'ProposalReceived', proposal: proposal(1, 0, b) })
  const fx = n.send({ type: 'BlockValidity', blockHash: b.hash, valid: false })
  const v = fx.find((e) => e.type === 'PersistVote')
  assert.ok(v && v.type === 'PersistVote' && v.vote.blockHash === null)
})

test('a locked node prevotes nil on a different fresh proposal in a later round', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  const a = block('a')
  n.send({ type: 'ProposalReceived', proposal: proposal(1, 0, a) })
  n.send({ type: 'BlockValidity', blockHash: a.hash, valid: true })
  for (const i of [0, 1, 2, 3]) if (i !== notProposer) n.send({ type: 'VoteReceived', vote: vote(i, 1, 0, VoteStep.Prevote, a) })
  assert.is(n.state.lockedRound, 0)
  n.send({ type: 'TimeoutFired', height: 1, round: 0, step: Step.Precommit })
  assert.is(n.state.round, 1)
  const b = block('b')
  n.send({ type: 'ProposalReceived', proposal: proposal(1, 1, b) })
  const fx = n.send({ type: 'BlockValidity', blockHash: b.hash, valid: true })
  const v = fx.find((e) => e.type === 'PersistVote')
  assert.ok(v && v.type === 'PersistVote' && v.vote.round === 1 && v.vote.blockHash === null)
})

test('after a restart the engine restores its lock and round and never signs a conflicting vote', () => {
  const b = block('locked')
  const own = [vote(notProposer, 1, 0, VoteStep.Prevote, b), vote(notProposer, 1, 2, VoteStep.Prevote, b), vote(notProposer, 1, 2, VoteStep.Precommit, b)]
  const n = node(notProposer)
  const fx = n.send({ type: 'StartHeight', height: 1, validators, threshold, restoredVotes: own })
  assert.is(n.state.round, 2)
  assert.is(n.state.lockedRound, 2)
  assert.ok(equals(n.state.lockedValue!, b.hash))
  assert.not.ok(fx.some((e) => e.type === 'PersistVote'), 'nothing new signed on restart')
  assert.ok(fx.some((e) => e.type === 'RequestBlock'), 'asks for the locked block')
  // nil-precommit quorum and timeouts at round 2 must not produce a second precommit at round 2
  for (const i of [0, 1, 2, 3]) if (i !== notProposer) n.send({ type: 'VoteReceived', vote: vote(i, 1, 2, VoteStep.Prevote, null) })
  n.send({ type: 'TimeoutFired', height: 1, round: 2, step: Step.Prevote })
  const signed = n.log.filter((e): e is Extract<ConsensusEffect, { type: 'PersistVote' }> => e.type === 'PersistVote')
  assert.not.ok(signed.some((e) => e.vote.round <= 2), 'no new vote at rounds already voted in')
  // a stale timeout from before the restart's round changes nothing
  const before = n.state.round
  n.send({ type: 'TimeoutFired', height: 1, round: 0, step: Step.Precommit })
  assert.is(n.state.round, before)
})

test('equivocating votes become evidence, exposed as an effect and in the state', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  const other = (notProposer + 1) % 4
  n.send({ type: 'VoteReceived', vote: vote(other, 1, 0, VoteStep.Prevote, block('x')) })
  const fx = n.send({ type: 'VoteReceived', vote: vote(other, 1, 0, VoteStep.Prevote, null) })
  const e = fx.find((x) => x.type === 'Evidence')
  assert.ok(e && e.type === 'Evidence')
  assert.is(n.state.evidence.length, 1)
  assert.ok(verifyEvidence(e.evidence, validators, cryptos[0]!))
  // the same vote again is a duplicate, not more evidence
  n.send({ type: 'VoteReceived', vote: vote(other, 1, 0, VoteStep.Prevote, null) })
  assert.is(n.state.evidence.length, 1)
})

test('votes with bad signatures or unknown validators are ignored', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  const forged = { ...vote(1, 1, 0, VoteStep.Prevote, null), validator: 2 }
  n.send({ type: 'VoteReceived', vote: forged })
  n.send({ type: 'VoteReceived', vote: { ...vote(1, 1, 0, VoteStep.Prevote, null), validator: 9 } })
  assert.is(n.state.rounds.get(0)?.prevotes.total ?? 0, 0)
})

test('more than a third of the shares voting in a higher round moves us there (line 55)', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  const others = [0, 1, 2, 3].filter((i) => i !== notProposer)
  n.send({ type: 'VoteReceived', vote: vote(others[0]!, 1, 5, VoteStep.Prevote, null) })
  assert.is(n.state.round, 0)
  n.send({ type: 'VoteReceived', vote: vote(others[1]!, 1, 5, VoteStep.Prevote, null) })
  assert.is(n.state.round, 5)
})

test('a laggard decides from a verified certificate and ignores a forged one', () => {
  const b = block('certified')
  const helper = node(notProposer)
  helper.send({ type: 'StartHeight', height: 1, validators, threshold })
  helper.send({ type: 'ProposalReceived', proposal: proposal(1, 0, b) })
  helper.send({ type: 'BlockValidity', blockHash: b.hash, valid: true })
  for (const i of [0, 1, 2, 3]) if (i !== notProposer) helper.send({ type: 'VoteReceived', vote: vote(i, 1, 0, VoteStep.Prevote, b) })
  for (const i of [0, 1, 2, 3]) if (i !== notProposer) helper.send({ type: 'VoteReceived', vote: vote(i, 1, 0, VoteStep.Precommit, b) })
  const decided = helper.log.find((e) => e.type === 'CommitBlock')
  assert.ok(decided && decided.type === 'CommitBlock')
  const laggard = node((notProposer + 1) % 4)
  laggard.send({ type: 'StartHeight', height: 1, validators, threshold })
  const forged = { ...decided.commit, signature: new Uint8Array(96) }
  laggard.send({ type: 'CommitReceived', commit: forged, block: b })
  assert.is(laggard.state.step !== Step.Decided, true)
  const fx = laggard.send({ type: 'CommitReceived', commit: decided.commit, block: b })
  assert.ok(fx.some((e) => e.type === 'CommitBlock'))
})

test('the proposer builds, then signs and broadcasts after persisting its own prevote', () => {
  const p = proposerIndex(validators, 1, 0)
  const n = node(p)
  const fx = n.send({ type: 'StartHeight', height: 1, validators, threshold })
  assert.ok(fx.some((e) => e.type === 'BuildProposal'))
  const out = n.send({ type: 'ProposalValue', height: 1, round: 0, block: block('mine') })
  const types = out.map((e) => e.type)
  assert.ok(types.indexOf('PersistVote') < types.indexOf('BroadcastProposal'), types.join(','))
})

function validations(effects: ConsensusEffect[]): Extract<ConsensusEffect, { type: 'ValidateBlock' }>[] {
  return effects.filter((e): e is Extract<ConsensusEffect, { type: 'ValidateBlock' }> => e.type === 'ValidateBlock')
}

test('H-1: signed proposals for rounds 1..1000 from their proposer cost at most a couple of validations', () => {
  // The review's attack: a byzantine validator signs a block for every round it is scheduled in,
  // and every node executed each one at once (about 250 block executions per height with 4).
  const byzantine = 1
  const me = [0, 2, 3].find((i) => i !== proposerIndex(validators, 1, 0))!
  const n = node(me)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  const rounds = Array.from({ length: 1000 }, (_, i) => i + 1).filter((r) => proposerIndex(validators, 1, r) === byzantine)
  assert.ok(rounds.length >= 200, `${rounds.length} rounds`)
  const fx = rounds.flatMap((r) => n.send({ type: 'ProposalReceived', proposal: proposal(1, r, block(`byz ${r}`)) }))
  const checked = validations(fx)
  assert.ok(checked.length <= 1, `${checked.length} ValidateBlock effects`)
  assert.ok(checked.every((e) => e.round <= n.state.round + 1), 'only the current and next round')
  // those within the window wait, held, for their round, and are validated when it comes
  const held = rounds.filter((r) => r > 1 && r <= MAX_ROUNDS_AHEAD)
  assert.ok(held.length > 0)
  for (const r of held) assert.ok(n.state.proposals.has(r), `round ${r} held`)
  assert.not.ok(n.state.proposals.has(rounds.find((r) => r > MAX_ROUNDS_AHEAD)!), 'beyond the window: dropped')
  const target = held[0]!
  for (let r = 0; n.state.round < target - 1; r++) {
    n.send({ type: 'TimeoutFired', height: 1, round: r, step: Step.Propose })
    n.send({ type: 'TimeoutFired', height: 1, round: r, step: Step.Prevote })
    n.send({ type: 'TimeoutFired', height: 1, round: r, step: Step.Precommit })
  }
  assert.ok(validations(n.log).some((e) => e.round === target), `round ${target} validated by round ${n.state.round}`)
})

test('H-1: blocks held outside the current and next round stay within MAX_HELD_BLOCK_BYTES', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  // every proposer's block at the largest size, for each round of the window (one shared buffer)
  const big = new Uint8Array(MAX_BLOCK_BYTES)
  const largeBlock = (tag: string): ConsensusBlock => ({ hash: sha256(utf8(tag)), bytes: big })
  for (let r = 2; r <= MAX_ROUNDS_AHEAD; r++) n.send({ type: 'ProposalReceived', proposal: proposal(1, r, largeBlock(`ahead ${r}`)) })
  assert.ok(n.state.heldBytes <= MAX_HELD_BLOCK_BYTES, `${n.state.heldBytes} bytes held`)
  assert.ok(n.state.proposals.size < MAX_ROUNDS_AHEAD - 1, `${n.state.proposals.size} proposals held`)
  // the rounds being decided are always taken, budget or not
  n.send({ type: 'ProposalReceived', proposal: proposal(1, 0, largeBlock('now')) })
  n.send({ type: 'ProposalReceived', proposal: proposal(1, 1, largeBlock('next')) })
  assert.ok(n.state.proposals.has(0) && n.state.proposals.has(1))
  assert.ok(n.state.heldBytes <= MAX_HELD_BLOCK_BYTES + 2 * MAX_BLOCK_BYTES)
  // a new round lets go of what nothing needs, and a dropped proposal is taken when sent again
  for (let r = 0; r < 6; r++) n.send({ type: 'TimeoutFired', height: 1, round: r, step: Step.Precommit })
  assert.is(n.state.round, 6)
  assert.ok(n.state.heldBytes <= MAX_HELD_BLOCK_BYTES, `${n.state.heldBytes} bytes held at round 6`)
  assert.not.ok(n.state.proposals.has(6), 'round 6 did not fit when it arrived')
  const again = [6, 7].flatMap((r) => n.send({ type: 'ProposalReceived', proposal: proposal(1, r, largeBlock(`ahead ${r}`)) }))
  assert.ok(n.state.proposals.has(6) && n.state.proposals.has(7))
  assert.equal(validations(again).map((e) => e.round), [6, 7])
})

test('a block held from another round but not validated is validated when its round gathers a proof-of-lock (line 36)', () => {
  const n = node(notProposer)
  n.send({ type: 'StartHeight', height: 1, validators, threshold })
  n.send({ type: 'TimeoutFired', height: 1, round: 0, step: Step.Precommit })
  n.send({ type: 'TimeoutFired', height: 1, round: 1, step: Step.Precommit })
  assert.is(n.state.round, 2)
  const a = block('late round 0')
  const late = n.send({ type: 'ProposalReceived', proposal: proposal(1, 0, a) })
  assert.is(validations(late).length, 0, 'a past round is not validated on arrival')
  n.send({ type: 'TimeoutFired', height: 1, round: 2, step: Step.Propose })
  const others = [0, 1, 2, 3].filter((i) => i !== notProposer)
  const fx = others.flatMap((i) => n.send({ type: 'VoteReceived', vote: vote(i, 1, 2, VoteStep.Prevote, a) }))
  assert.ok(validations(fx).some((e) => equals(e.blockHash, a.hash)), 'validated once a quorum prevoted it')
  n.send({ type: 'BlockValidity', blockHash: a.hash, valid: true })
  assert.ok(n.state.validValue && equals(n.state.validValue, a.hash))
  assert.is(n.state.validRound, 2)
})

test('M-3: a height started with sign: false never signs or proposes, yet follows and decides', () => {
  const p = proposerIndex(validators, 1, 0)
  const n = node(p)
  const fx = n.send({ type: 'StartHeight', height: 1, validators, threshold, sign: false })
  assert.not.ok(fx.some((e) => e.type === 'BuildProposal'), 'the proposer of round 0 does not build')
  for (const step of [Step.Propose, Step.Prevote, Step.Precommit]) n.send({ type: 'TimeoutFired', height: 1, round: 0, step })
  assert.is(n.state.round, 1)
  const b = block('followed')
  n.send({ type: 'ProposalReceived', proposal: proposal(1, 1, b) })
  n.send({ type: 'BlockValidity', blockHash: b.hash, valid: true })
  const others = [0, 1, 2, 3].filter((i) => i !== p)
  for (const i of others) n.send({ type: 'VoteReceived', vote: vote(i, 1, 1, VoteStep.Prevote, b) })
  for (const i of others) n.send({ type: 'VoteReceived', vote: vote(i, 1, 1, VoteStep.Precommit, b) })
  const signedOrSent = n.log.filter((e) => e.type === 'PersistVote' || e.type === 'BroadcastVote' || e.type === 'BroadcastProposal' || e.type === 'BuildProposal')
  assert.equal(signedOrSent, [], 'nothing signed, proposed or sent')
  assert.ok(n.log.some((e) => e.type === 'CommitBlock'), 'decided on the quorum')
  assert.is(n.state.step, Step.Decided)
  // the next height, started normally, signs again
  const next = n.send({ type: 'StartHeight', height: 2, validators, threshold })
  if (proposerIndex(validators, 2, 0) === p) assert.ok(next.some((e) => e.type === 'BuildProposal'), 'proposes at height 2')
  else assert.ok(n.send({ type: 'TimeoutFired', height: 2, round: 0, step: Step.Propose }).some((e) => e.type === 'PersistVote'), 'prevotes at height 2')
})

test.run()
