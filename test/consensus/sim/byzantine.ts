// Byzantine validators: they run the honest engine (so they take part and look plausible) but
// tamper with what leaves them: two proposals per round to two halves of the network, a second
// vote with another value to some peers, votes for blocks nobody has, and garbage on the wire.

import { type Bytes, equals } from '../../../packages/core/src/bytes.ts'
import { encodeVote, voteSigningMessage } from '../../../packages/core/src/codec/objects.ts'
import { type Proposal, proposalSigningMessage } from '../../../packages/core/src/consensus/index.ts'
import { type Vote, VoteStep } from '../../../packages/core/src/types/chain.ts'
import type { Byzantine, SimNode, Tamper } from './node.ts'
import { encodeMessage } from './wire.ts'

function signedVote(node: SimNode, base: Vote, blockHash: Bytes | null, round = base.round, step = base.step): Vote {
  const target = { height: base.height, round, step, blockHash }
  return { ...base, round, step, blockHash, signature: node.crypto.signVote(voteSigningMessage(target)) }
}

/** Sends `a` to a random part of the peers and `b` to the rest. */
function split(node: SimNode, a: Bytes, b: Bytes): void {
  for (const peer of node.peers()) node.send(peer, node.ctx.rng.chance(0.5) ? a : b)
}

export function byzantineTamper(behaviour: Byzantine): Tamper {
  return {
    proposal(node, proposal) {
      const original = encodeMessage({ kind: 'proposal', proposal })
      if (!behaviour.equivocate) return node.broadcast(original)
      const block = node.buildBlock(proposal.height, proposal.round, true)
      const message = proposalSigningMessage({
        height: proposal.height,
        round: proposal.round,
        validRound: -1,
        blockHash: block.hash,
      })
      const twin: Proposal = { ...proposal, validRound: -1, block, signature: node.crypto.signProposal(message) }
      split(node, original, encodeMessage({ kind: 'proposal', proposal: twin }))
    },

    vote(node, vote) {
      const original = encodeMessage({ kind: 'vote', vote })
      const { rng } = node.ctx
      if (!behaviour.doubleVote || !rng.chance(0.8)) return node.broadcast(original)
      const proposals = [...node.state.proposals.values()].map((p) => p.block.hash)
      const options: (Bytes | null)[] = [null, rng.bytes(32), ...proposals]
      const other = options.filter((h) => (h === null ? vote.blockHash !== null : vote.blockHash === null || !equals(h, vote.blockHash)))
      const twin = encodeMessage({ kind: 'vote', vote: signedVote(node, vote, rng.pick(other)) })
      if (vote.step === VoteStep.Precommit && vote.blockHash !== null && rng.chance(0.8)) {
        // The real precommit to one peer only: it may decide while the rest move to the next round.
        const lucky = rng.pick(node.peers())
        for (const peer of node.peers()) node.send(peer, peer === lucky ? original : twin)
        return
      }
      split(node, original, twin)
    },

    tick(node) {
      const { rng } = node.ctx
      const s = node.state
      if (!node.alive || s.height === 0 || s.self < 0) return
      const base: Vote = {
        network: node.ctx.networkName,
        entity: node.ctx.entity,
        height: s.height,
        round: s.round,
        step: VoteStep.Prevote,
        blockHash: null,
        validator: s.self,
        signature: new Uint8Array(96),
      }
      if (behaviour.unknownVotes) {
        const round = s.round + rng.int(0, 2)
        const step = rng.chance(0.5) ? VoteStep.Prevote : VoteStep.Precommit
        const vote = signedVote(node, base, rng.bytes(32), round, step)
        for (const peer of rng.subset(node.peers(), 0.5)) node.send(peer, { kind: 'vote', vote })
      }
      if (behaviour.garbage) {
        const peer = rng.pick(node.peers())
        const real = encodeMessage({ kind: 'vote', vote: signedVote(node, base, null) })
        const flipped = real.slice()
        const at = rng.int(0, flipped.length - 1)
        flipped[at] = flipped[at]! ^ (1 << rng.int(0, 7))
        node.send(peer, flipped)
        node.send(peer, rng.bytes(rng.int(0, 120)))
        node.send(peer, real.subarray(0, rng.int(0, real.length - 1)))
        // a vote with a forged validator index: signature check must reject it
        const forged = { ...signedVote(node, base, rng.bytes(32)), validator: rng.int(0, s.validators.length - 1) }
        node.send(peer, new Uint8Array([2, ...encodeVote(forged)]))
      }
    },
  }
}
