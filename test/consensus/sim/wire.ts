// Messages as they travel between simulated nodes: one kind byte, then the canonical encoding.
// Receivers decode strictly and drop whatever does not decode.

import type { Bytes } from '../../../packages/core/src/bytes.ts'
import { decodeCommit, decodeVote, encodeCommit, encodeVote } from '../../../packages/core/src/codec/objects.ts'
import { asBytes, asList, asUint, decodeRlp, encodeRlp, encodeUint } from '../../../packages/core/src/codec/rlp.ts'
import {
  type ConsensusBlock,
  decodeProposal,
  encodeProposal,
  type Proposal,
} from '../../../packages/core/src/consensus/index.ts'
import type { Commit, Vote } from '../../../packages/core/src/types/chain.ts'
import { hashBlock } from './app.ts'

const KIND_PROPOSAL = 1
const KIND_VOTE = 2
const KIND_COMMIT = 3
const KIND_GET_BLOCK = 4
const KIND_BLOCK = 5

export type WireMessage =
  | { kind: 'proposal'; proposal: Proposal }
  | { kind: 'vote'; vote: Vote }
  | { kind: 'commit'; commit: Commit; block: ConsensusBlock }
  | { kind: 'getBlock'; height: number; hash: Bytes }
  | { kind: 'block'; height: number; block: ConsensusBlock }

function frame(kind: number, body: Bytes): Bytes {
  const out = new Uint8Array(body.length + 1)
  out[0] = kind
  out.set(body, 1)
  return out
}

export function encodeMessage(m: WireMessage): Bytes {
  switch (m.kind) {
    case 'proposal':
      return frame(KIND_PROPOSAL, encodeProposal(m.proposal))
    case 'vote':
      return frame(KIND_VOTE, encodeVote(m.vote))
    case 'commit':
      return frame(KIND_COMMIT, encodeRlp([encodeCommit(m.commit), m.block.bytes]))
    case 'getBlock':
      return frame(KIND_GET_BLOCK, encodeRlp([encodeUint(m.height), m.hash]))
    case 'block':
      return frame(KIND_BLOCK, encodeRlp([encodeUint(m.height), m.block.bytes]))
  }
}

/** Throws on anything malformed. */
export function decodeMessage(bytes: Bytes): WireMessage {
  const body = bytes.subarray(1)
  switch (bytes[0]) {
    case KIND_PROPOSAL:
      return { kind: 'proposal', proposal: decodeProposal(body, hashBlock) }
    case KIND_VOTE:
      return { kind: 'vote', vote: decodeVote(body) }
    case KIND_COMMIT: {
      const f = asList(decodeRlp(body, 1 << 20), 'commit', 2)
      const blockBytes = asBytes(f[1], 'block')
      return {
        kind: 'commit',
        commit: decodeCommit(asBytes(f[0], 'commit')),
        block: { hash: hashBlock(blockBytes), bytes: blockBytes },
      }
    }
    case KIND_GET_BLOCK: {
      const f = asList(decodeRlp(body, 256), 'getBlock', 2)
      return { kind: 'getBlock', height: asUint(f[0], 'height'), hash: asBytes(f[1], 'hash', 32) }
    }
    case KIND_BLOCK: {
      const f = asList(decodeRlp(body, 1 << 20), 'block', 2)
      const blockBytes = asBytes(f[1], 'block')
      return { kind: 'block', height: asUint(f[0], 'height'), block: { hash: hashBlock(blockBytes), bytes: blockBytes } }
    }
    default:
      throw new Error(`unknown message kind ${bytes[0]}`)
  }
}
