// The one gossip message of consensus that core does not define: a committed block with its
// quorum certificate, RLP [block, commit], published by the block's proposer after it commits.

import { type Bytes, MAX_BLOCK_BYTES, MAX_COMMIT_BYTES, asBoundedBytes, asList, asUint, decodeRlp, encodeRlp, encodeUint } from '@p2pnode/core'

export const MAX_COMMIT_MESSAGE_BYTES = MAX_BLOCK_BYTES + MAX_COMMIT_BYTES + 16

export function encodeCommitMessage(block: Bytes, commit: Bytes): Bytes {
  return encodeRlp([block, commit])
}

export function decodeCommitMessage(bytes: Bytes): { block: Bytes; commit: Bytes } {
  const [block, commit] = asList(decodeRlp(bytes, MAX_COMMIT_MESSAGE_BYTES, 'commit message'), 'commit message', 2)
  return { block: asBoundedBytes(block, 'block', MAX_BLOCK_BYTES), commit: asBoundedBytes(commit, 'commit', MAX_COMMIT_BYTES) }
}

/**
 * Proposals and votes travel in an envelope RLP [message, sequence]. Gossipsub drops a message
 * it has seen (by content hash) for minutes, so a node that must send a vote again, because
 * peers that joined late never got it, changes the sequence to make it a new message. Receivers
 * take the message and ignore the sequence; one already held is ignored and not forwarded again
 * (inbox.ts), so re-wrapping cannot make the network carry a message twice.
 */
export function encodeEnvelope(message: Bytes, sequence: number): Bytes {
  return encodeRlp([message, encodeUint(sequence)])
}

export function decodeEnvelope(bytes: Bytes, maxMessage: number): Bytes {
  const [message, sequence] = asList(decodeRlp(bytes, maxMessage + 32, 'envelope'), 'envelope', 2)
  asUint(sequence, 'sequence')
  return asBoundedBytes(message, 'message', maxMessage)
}
