// Evidence that the network is ahead: blocks fetched from a peer count only as far as they carry
// quorum certificates this node can check. A peer's claimed height costs nothing to make; a
// certificate for the height after our tip cannot be forged with under a third of the shares.
// So the node leaves consensus for sync only on a verified prefix longer than its sync threshold,
// and a peer that claimed a height it then cannot back with one is a liar (or broken).

import { type Bytes, type Tip, type ChainId, decodeBoundBlock, decodeCommit, equals, isCoreError, verifyCommit } from '@p2pnode/core'
import type { SyncedBlock } from './protocol.ts'

export interface Evidence {
  /** The leading blocks that extend the tip and whose certificates verify (at most all of them). */
  verified: number
  /** Why the next block did not count, when one did not. */
  stoppedAt?: { height: number; reason: string }
}

/**
 * How many of `blocks` (consecutive, from tip + 1) are proven: each extends the one before by
 * parent hash, its body matches its header, and its commit is a quorum certificate of the
 * validator set the tip's state names for the next heights. A validator-set change inside the
 * window ends the proof early (the set of later heights is not known before executing), which
 * only shortens the evidence: sync then applies block by block and checks each in full.
 */
export function provenPrefix(blocks: SyncedBlock[], tip: Tip, chain: ChainId): Evidence {
  let parent = tip.hash
  let height = tip.height
  const validators = tip.state.validators()
  const threshold = tip.state.threshold()
  const pending = tip.state.pending()
  for (let i = 0; i < blocks.length; i++) {
    height++
    // a pending change activates at its height; from there on this set is no longer the one
    if (pending !== undefined && height >= pending.activateAt) return { verified: i, stoppedAt: { height, reason: 'validator set changes' } }
    const reason = checkOne(blocks[i]!, { ...chain, height, parent, validators, threshold })
    if (typeof reason === 'string') return { verified: i, stoppedAt: { height, reason } }
    parent = reason
  }
  return { verified: blocks.length }
}

interface Expected extends ChainId {
  height: number
  parent: Bytes
  validators: ReturnType<Tip['state']['validators']>
  threshold: ReturnType<Tip['state']['threshold']>
}

/** The block's hash when it is proven, else why not. */
function checkOne(synced: SyncedBlock, expected: Expected): Bytes | string {
  try {
    const { block, hash } = decodeBoundBlock(synced.block)
    const header = block.header
    if (header.height !== expected.height) return `height ${header.height}, expected ${expected.height}`
    if (!equals(header.parentHash, expected.parent)) return 'does not extend the previous block'
    verifyCommit(decodeCommit(synced.commit), { network: expected.network, entity: expected.entity, height: expected.height, blockHash: hash, validators: expected.validators, threshold: expected.threshold })
    return hash
  } catch (err) {
    if (isCoreError(err)) return err.code
    return `does not decode: ${(err as Error).message}`
  }
}
