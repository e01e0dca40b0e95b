// The paper's "upon" rules for the current height, applied by the engine after every event until
// none fires. Each returns true when it changed round or step (or decided), which may enable
// another; "for the first time" rules keep a flag per round so they fire once.

import { toHex } from '../bytes.ts'
import { VoteStep } from '../types/chain.ts'
import { castVote, type Ctx, requestBlock, requestValidity, scheduleTimeout, startRound, tryDecide } from './actions.ts'
import { Step } from './types.ts'
import { NIL_KEY, votesFor } from './vote-set.ts'

export function applyRules(ctx: Ctx): boolean {
  const s = ctx.s
  if (s.step === Step.Decided) return false
  if (tryDecide(ctx)) return true // line 49, any round
  if (s.skipRound > s.round) {
    startRound(ctx, s.skipRound) // line 55
    return true
  }
  if (s.step === Step.Propose && proposeStep(ctx)) return true
  const rv = s.rounds.get(s.round)
  if (!rv) return false
  if (s.step === Step.Prevote && !rv.prevoteTimeoutScheduled && rv.prevotes.total >= s.weights.quorum) {
    rv.prevoteTimeoutScheduled = true // line 34
    scheduleTimeout(ctx, Step.Prevote, s.round)
  }
  const polKey = rv.prevotes.quorumValue
  if (polKey !== null && polKey !== NIL_KEY && !rv.validUpdated) {
    // Line 36. The paper asks for the round's PROPOSAL of v; the block itself suffices, since a
    // quorum of prevotes for v already shows that honest validators saw and validated it.
    const block = s.blocks.get(polKey)
    if (!block) requestBlock(ctx, polKey, votesFor(rv.prevotes, polKey))
    // Held from a proposal of another round and not validated yet (held-blocks.ts): validate it now.
    else if (!s.validity.has(polKey)) requestValidity(ctx, block, s.round)
    if (block && s.validity.get(polKey) === true) {
      rv.validUpdated = true
      if (s.step === Step.Prevote) {
        s.lockedValue = block.hash
        s.lockedRound = s.round
        castVote(ctx, s.round, VoteStep.Precommit, block.hash)
        s.step = Step.Precommit
      }
      s.validValue = block.hash
      s.validRound = s.round
      return true
    }
  }
  if (s.step === Step.Prevote && polKey === NIL_KEY) {
    castVote(ctx, s.round, VoteStep.Precommit, null) // line 44
    s.step = Step.Precommit
    return true
  }
  if (!rv.precommitTimeoutScheduled && rv.precommits.total >= s.weights.quorum) {
    rv.precommitTimeoutScheduled = true // line 47
    scheduleTimeout(ctx, Step.Precommit, s.round)
  }
  return false
}

/** Lines 22-33: prevote on the round's proposal once the host has judged its block. */
function proposeStep(ctx: Ctx): boolean {
  const s = ctx.s
  const p = s.proposals.get(s.round)
  if (!p) return false
  const key = toHex(p.block.hash)
  const valid = s.validity.get(key)
  if (valid === undefined) return false // ValidateBlock is out; wait for BlockValidity
  let accept: boolean
  if (p.validRound === -1) {
    // line 22
    accept = valid && (s.lockedRound === -1 || sameAsLocked(ctx, key))
  } else {
    // line 28: needs a quorum of prevotes for v at validRound
    const pol = s.rounds.get(p.validRound)
    if (!pol || pol.prevotes.quorumValue !== key) return false
    accept = valid && (s.lockedRound <= p.validRound || sameAsLocked(ctx, key))
  }
  castVote(ctx, s.round, VoteStep.Prevote, accept ? p.block.hash : null)
  s.step = Step.Prevote
  return true
}

function sameAsLocked(ctx: Ctx, key: string): boolean {
  return ctx.s.lockedValue !== null && toHex(ctx.s.lockedValue) === key
}
