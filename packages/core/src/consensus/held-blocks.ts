// The blocks the engine holds for the current height, and the bound on their bytes. A byzantine
// proposer may sign a block for every round it is scheduled in, up to MAX_ROUNDS_AHEAD rounds
// ahead and for every round already past; each may be MAX_BLOCK_BYTES. So:
//
// - only the blocks of the rounds being decided now (the current round and the next) are
//   validated as they arrive; others wait until their round comes (startRound) or until a quorum
//   needs them (line 36, line 49), since validation is a full block execution for the host;
// - a block outside those rounds is taken only while all held blocks fit MAX_HELD_BLOCK_BYTES; and
//   when a new round starts over the budget, blocks nothing needs are let go, those furthest
//   ahead first, then the oldest. A proposal let go comes back when its proposer sends it again
//   (hosts re-send held proposals while stuck), and a block a quorum votes for is requested.
//
// What the budget never drops: the blocks of the current and next round's proposals, the locked
// and valid values, blocks this node voted for, and blocks with a quorum of prevotes or precommits
// in any round. Those exist because honest validators voted, not because a proposer sent them.

import { toHex } from '../bytes.ts'
import { MAX_HELD_BLOCK_BYTES } from './params.ts'
import type { ConsensusState } from './state.ts'
import type { ConsensusBlock } from './types.ts'
import { NIL_KEY } from './vote-set.ts'

/** Whether a proposal of `round` is one this node validates as soon as it arrives. */
export function validatesNow(s: ConsensusState, round: number): boolean {
  return round === s.round || round === s.round + 1
}

/** Whether a block of `bytes` more may be taken for a round outside those validated now. */
export function fitsBudget(s: ConsensusState, bytes: number): boolean {
  return s.heldBytes + bytes <= MAX_HELD_BLOCK_BYTES
}

/** Holds a block (counted once per hash) and returns the held instance, which proposals share. */
export function holdBlock(s: ConsensusState, block: ConsensusBlock): ConsensusBlock {
  const key = toHex(block.hash)
  const held = s.blocks.get(key)
  if (held) return held
  s.blocks.set(key, block)
  s.heldBytes += block.bytes.length
  return block
}

function neededBlocks(s: ConsensusState): Set<string> {
  const keep = new Set<string>()
  if (s.lockedValue) keep.add(toHex(s.lockedValue))
  if (s.validValue) keep.add(toHex(s.validValue))
  for (const vote of s.ownVotes.values()) if (vote.blockHash) keep.add(toHex(vote.blockHash))
  for (const rv of s.rounds.values()) {
    for (const tally of [rv.prevotes, rv.precommits]) {
      if (tally.quorumValue !== null && tally.quorumValue !== NIL_KEY) keep.add(tally.quorumValue)
    }
  }
  for (const round of [s.round, s.round + 1]) {
    const p = s.proposals.get(round)
    if (p) keep.add(toHex(p.block.hash))
  }
  return keep
}

/** Brings the held bytes back within the budget, if they are over, by letting go of unneeded blocks. */
export function pruneHeld(s: ConsensusState): void {
  if (s.heldBytes <= MAX_HELD_BLOCK_BYTES) return
  const keep = neededBlocks(s)
  const rounds = [...s.proposals.keys()]
  const order = [
    ...rounds.filter((r) => r > s.round + 1).sort((a, b) => b - a),
    ...rounds.filter((r) => r < s.round).sort((a, b) => a - b),
  ]
  for (const round of order) {
    if (s.heldBytes <= MAX_HELD_BLOCK_BYTES) return
    const p = s.proposals.get(round)
    if (!p) continue // let go already, with another round's proposal of the same block
    const key = toHex(p.block.hash)
    if (keep.has(key)) continue
    for (const [r, other] of s.proposals) if (toHex(other.block.hash) === key) s.proposals.delete(r)
    if (s.blocks.delete(key)) s.heldBytes -= p.block.bytes.length
  }
}
