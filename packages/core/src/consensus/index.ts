/**
 * Consensus: Tendermint-style BFT ("The latest gossip on BFT consensus", arXiv:1807.04938) as a
 * pure state machine, with weighted votes, BLS quorum certificates and a double-sign guard that
 * survives restarts. The host (packages/node) carries out the effects: it persists votes, talks
 * to peers, runs timers, validates and executes blocks.
 *
 * @example
 * ```ts
 * const engine = createEngine({ network, entity, publicKey, crypto: createBlsConsensusCrypto({ network, entity, secretKey }) })
 * let state = initialState()
 * for (const event of events) {           // StartHeight, ProposalReceived, VoteReceived, TimeoutFired ...
 *   const result = engine.step(state, event)
 *   state = result.state
 *   for (const effect of result.effects) await carryOut(effect) // in order: PersistVote before BroadcastVote
 * }
 * ```
 */

export { createEngine, type Engine, type EngineInit, type StepResult } from './engine.ts'
export {
  type ConsensusState,
  type Decision,
  heldProposals,
  heldVotes,
  initialState,
  MAX_KEPT_EVIDENCE,
} from './state.ts'
export {
  type ConsensusBlock,
  type ConsensusEffect,
  type ConsensusEvent,
  type Evidence,
  type Proposal,
  Step,
  type TimeoutStep,
} from './types.ts'
export {
  DEFAULT_THRESHOLD,
  DEFAULT_TIMEOUTS,
  type LinearTimeout,
  MAX_CLOCK_DRIFT_MS,
  MAX_HELD_BLOCK_BYTES,
  MAX_ROUNDS_AHEAD,
  SKIP_FRACTION,
  TEST_TIMEOUTS,
  type TimeoutParams,
  timeoutMs,
  VALIDATOR_SET_CHANGE_DELAY,
} from './params.ts'
export { ProposerSchedule, proposerIndex } from './proposer.ts'
export { computeWeights, type Weights } from './weights.ts'
export type { ConsensusCrypto } from './crypto.ts'
export { type BlsCryptoInit, createBlsConsensusCrypto } from './bls-crypto.ts'
export { buildCommit, verifyCommit } from './commit.ts'
export { verifyEvidence } from './evidence.ts'
export {
  decodeProposal,
  encodeProposal,
  MAX_PROPOSAL_BYTES,
  type ProposalTarget,
  proposalSigningMessage,
} from './proposal.ts'
