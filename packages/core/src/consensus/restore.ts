// Resuming a height after a restart from the votes this node persisted before signing them
// away. The signer guard follows from three things: the restored votes fill ownVotes (castVote
// never signs a different value at the same round and step), the engine resumes at the highest
// round it voted in (never goes back), and the lock comes back from its own non-nil precommits.

import { toHex } from '../bytes.ts'
import { type Vote, VoteStep } from '../types/chain.ts'
import { countVote, type Ctx, scheduleTimeout, startRound } from './actions.ts'
import { holdBlock } from './held-blocks.ts'
import { ownVoteKey, roundVotes } from './state.ts'
import { type ConsensusBlock, Step } from './types.ts'
import { classify } from './vote-set.ts'

/** `votes` are this node's own votes at the height just started (already filtered). */
export function restoreOwnVotes(ctx: Ctx, votes: Vote[], blocks: ConsensusBlock[]): void {
  const s = ctx.s
  for (const block of blocks) {
    // We voted for these, so we validated them (or built them) before the crash.
    holdBlock(s, block)
    s.validity.set(toHex(block.hash), true)
  }
  let round = 0
  for (const vote of votes) {
    const key = ownVoteKey(vote.round, vote.step)
    if (s.ownVotes.has(key)) continue // a store should hold one; keep the first if it holds more
    s.ownVotes.set(key, vote)
    if (classify(roundVotes(s, vote.round), vote).kind === 'new') countVote(s, vote)
    round = Math.max(round, vote.round)
    if (vote.step === VoteStep.Precommit && vote.blockHash !== null && vote.round > s.lockedRound) {
      s.lockedRound = vote.round
      s.lockedValue = vote.blockHash
    }
  }
  // A non-nil precommit at lockedRound followed a proof-of-lock for it at that round, so the lock
  // is also a valid value; our restored prevotes, re-sent below, help others see that proof again.
  // Without the block's bytes a proposer proposes a fresh block instead (safe: others' locks guard).
  if (s.lockedValue) {
    s.validValue = s.lockedValue
    s.validRound = s.lockedRound
  }
  const prevoted = s.ownVotes.has(ownVoteKey(round, VoteStep.Prevote))
  const precommitted = s.ownVotes.has(ownVoteKey(round, VoteStep.Precommit))
  for (const vote of s.ownVotes.values()) ctx.out.push({ type: 'BroadcastVote', vote })
  if (!prevoted && !precommitted) return startRound(ctx, round)
  s.round = round
  s.step = precommitted ? Step.Precommit : Step.Prevote
  // The votes that would trigger lines 34 and 47 were lost with memory; time out of this step anyway.
  scheduleTimeout(ctx, precommitted ? Step.Precommit : Step.Prevote, round)
  if (s.lockedValue && !s.blocks.has(toHex(s.lockedValue)) && !s.requested.has(toHex(s.lockedValue))) {
    s.requested.add(toHex(s.lockedValue))
    ctx.out.push({ type: 'RequestBlock', height: s.height, blockHash: s.lockedValue })
  }
}
