// The proposal message on the wire and what its proposer signs. The block hash is not sent:
// the receiver computes it from the bytes with the host's own hash function, so a proposal can
// never carry a block under someone else's hash.
//
// Wire form: RLP [height, round, validRound + 1, proposer, blockBytes, signature]; validRound is
// shifted by one so that "none" (-1) is the canonical zero.

import type { Bytes } from '../bytes.ts'
import { asBytes, asList, asUint, decodeRlp, encodeRlp, encodeUint } from '../codec/rlp.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { MAX_BLOCK_BYTES } from '../limits.ts'
import type { Proposal } from './types.ts'

/** A block plus a small envelope. */
export const MAX_PROPOSAL_BYTES = MAX_BLOCK_BYTES + 256
const SIGNATURE_LENGTH = 96

export interface ProposalTarget {
  height: number
  round: number
  validRound: number
  blockHash: Bytes
}

export function proposalSigningMessage(p: ProposalTarget): Bytes {
  return encodeRlp([encodeUint(p.height), encodeUint(p.round), encodeUint(p.validRound + 1), p.blockHash])
}

export function encodeProposal(p: Proposal): Bytes {
  return encodeRlp([
    encodeUint(p.height),
    encodeUint(p.round),
    encodeUint(p.validRound + 1),
    encodeUint(p.proposer),
    p.block.bytes,
    p.signature,
  ])
}

/** Strict: throws CoreError (codec codes) on anything but the canonical encoding. */
export function decodeProposal(bytes: Bytes, hashBlock: (blockBytes: Bytes) => Bytes): Proposal {
  const f = asList(decodeRlp(bytes, MAX_PROPOSAL_BYTES, 'proposal'), 'proposal', 6)
  const height = asUint(f[0], 'proposal.height')
  const round = asUint(f[1], 'proposal.round')
  const validRound = asUint(f[2], 'proposal.validRound') - 1
  if (validRound >= round) {
    throw new CoreError(ErrorCode.CodecBadField, 'proposal.validRound: not below the round', {
      field: 'proposal.validRound',
    })
  }
  const blockBytes = asBytes(f[4], 'proposal.block')
  return {
    height,
    round,
    validRound,
    proposer: asUint(f[3], 'proposal.proposer'),
    block: { hash: hashBlock(blockBytes), bytes: blockBytes },
    signature: asBytes(f[5], 'proposal.signature', SIGNATURE_LENGTH),
  }
}
