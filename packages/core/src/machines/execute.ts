// Executing an entity's transactions and the end of a block. Every function here works on a
// StateBatch and either applies its whole effect or throws a CoreError before writing anything,
// so a failed transaction leaves the batch as it was.

import { type Bytes, equals, toHex } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { VALIDATOR_SET_CHANGE_DELAY } from '../consensus/params.ts'
import { type Transaction, TxKind, type Validator } from '../types/chain.ts'
import { addressOf } from '../crypto/ed25519.ts'
import {
  type EntityProposal,
  type StateBatch,
  type StateReader,
  checkParam,
  checkThreshold,
  checkValidators,
  hasQuorum,
  totalShares,
} from './entity-state.ts'
import {
  type ProposalAction,
  decodeAction,
  decodeCounterAdd,
  decodeKvDel,
  decodeKvSet,
  decodeProposalCreate,
  decodeProposalVote,
} from './payloads.ts'
import { applyEntityCreate } from './registry.ts'
import { entityKvKey, kvKey } from './state-keys.ts'

/** What one block's execution carries from transaction to transaction. */
export interface BlockContext {
  height: number
  /** Proposals whose shares crossed the threshold in this block, in the order they crossed. */
  passed: Bytes[]
  /** Entities this block registered so far (registry.ts: at most maxEntitiesPerBlock). */
  registered: number
}

export function newBlockContext(height: number): BlockContext {
  return { height, passed: [], registered: 0 }
}

function validatorOf(validators: Validator[], account: Bytes): Validator | undefined {
  return validators.find((v) => equals(v.account, account))
}

/**
 * Refuses an account the entity does not take transactions from (see StateReader.maySend). Both
 * execution and mempool admission run it, so a closed entity's blocks never carry a stranger's
 * transaction, and its pool never spends a signature check on one.
 */
export function checkSender(state: StateReader, account: Bytes): void {
  if (!state.maySend(account)) {
    throw new CoreError(ErrorCode.TxAccountNotAdmitted, `account ${toHex(account)} is not admitted to this entity`)
  }
}

/**
 * Applies one transaction whose signature has already been checked. `hash` is the transaction's
 * id, which also names a proposal it creates.
 */
export function applyTransaction(batch: StateBatch, ctx: BlockContext, tx: Transaction, hash: Bytes): void {
  const account = addressOf(tx.sender)
  checkSender(batch, account)
  const expected = batch.nonce(account)
  if (tx.nonce < expected) {
    throw new CoreError(ErrorCode.TxNonceTooLow, `nonce ${tx.nonce} already used, next is ${expected}`, { expected })
  }
  if (tx.nonce > expected) {
    throw new CoreError(ErrorCode.TxNonceGap, `nonce ${tx.nonce} skips ahead of ${expected}`, { expected })
  }

  // Decode and check everything first, then write: a throw must leave the batch untouched.
  switch (tx.kind) {
    case TxKind.CounterAdd: {
      const next = batch.counter() + decodeCounterAdd(tx.payload)
      if (!Number.isSafeInteger(next)) throw new CoreError(ErrorCode.TxBadPayload, 'counter would overflow')
      batch.setCounter(next)
      break
    }
    case TxKind.KvSet: {
      const { key, value } = decodeKvSet(tx.payload)
      batch.set(kvKey(account, key), value)
      break
    }
    case TxKind.KvDel:
      batch.delete(kvKey(account, decodeKvDel(tx.payload)))
      break
    case TxKind.ProposalCreate:
      createProposal(batch, ctx, account, tx, hash)
      break
    case TxKind.ProposalVote:
      voteProposal(batch, ctx, account, decodeProposalVote(tx.payload))
      break
    case TxKind.EntityCreate:
      applyEntityCreate(batch, account, tx.payload, tx.network, ctx.height, ctx.registered)
      ctx.registered++
      break
  }
  batch.setNonce(account, expected + 1)
}

function requireValidator(validators: Validator[], account: Bytes): Validator {
  const validator = validatorOf(validators, account)
  if (validator === undefined) throw new CoreError(ErrorCode.TxNotValidator, 'only validators may create or vote on proposals')
  return validator
}

/**
 * The shares, in the set governing now, of the validators among `voters`. A proposal's support
 * is always counted in the current set: votes of validators removed since do not count, and
 * shares changed since count as they are now, so a proposal passes only with a quorum of the set
 * that executes it. (Accounts are unique in a set, so each voter matches at most one validator.)
 */
function supportOf(validators: Validator[], voters: Bytes[]): number {
  const shares = new Map(validators.map((v) => [toHex(v.account), v.shares]))
  let total = 0
  for (const voter of voters) total += shares.get(toHex(voter)) ?? 0
  return total
}

function passes(batch: StateBatch, ctx: BlockContext, id: Bytes, validators: Validator[], shares: number): void {
  if (!hasQuorum(shares, totalShares(validators), batch.threshold())) return
  if (!ctx.passed.some((p) => equals(p, id))) ctx.passed.push(id)
}

function createProposal(batch: StateBatch, ctx: BlockContext, account: Bytes, tx: Transaction, id: Bytes): void {
  const { action, actionBytes, expiresIn } = decodeProposalCreate(tx.payload)
  // who may propose first: checking an action (a validators.set's proofs of possession) costs
  const validators = batch.validators()
  const validator = requireValidator(validators, account)
  checkAction(action)
  if (batch.proposal(id) !== undefined) throw new CoreError(ErrorCode.TxProposalExists, 'proposal exists')
  const params = batch.params()
  const open = batch.openProposals(account)
  if (open >= params.maxOpenProposals) {
    throw new CoreError(ErrorCode.TxTooManyOpenProposals, `the creator already has ${open} open proposals`, {
      limit: params.maxOpenProposals,
    })
  }
  const period = expiresIn === 0 ? params.proposalExpiry : Math.min(expiresIn, params.proposalExpiry)
  const expiresAt = ctx.height + period
  batch.setProposal({ id, action: actionBytes, creator: account, shares: validator.shares, expiresAt, voters: [account] })
  batch.setOpenProposals(account, open + 1)
  batch.addExpiring(expiresAt, id)
  passes(batch, ctx, id, validators, validator.shares)
}

function voteProposal(batch: StateBatch, ctx: BlockContext, account: Bytes, id: Bytes): void {
  const proposal = batch.proposal(id)
  if (proposal === undefined) throw new CoreError(ErrorCode.TxProposalUnknown, 'no open proposal with that id')
  const validators = batch.validators()
  requireValidator(validators, account)
  if (proposal.voters.some((v) => equals(v, account))) throw new CoreError(ErrorCode.TxAlreadyVoted, 'already voted')
  const voters = [...proposal.voters, account]
  const shares = supportOf(validators, voters)
  batch.setProposal({ ...proposal, shares, voters })
  passes(batch, ctx, id, validators, shares)
}

/** Rejects, at creation, an action that could never be executed. */
function checkAction(action: ProposalAction): void {
  switch (action.type) {
    case 'validators.set':
      checkValidators(action.validators)
      break
    case 'threshold.set':
      checkThreshold(action.threshold)
      break
    case 'params.set':
      checkParam(action.name, action.value)
      break
    case 'accounts.allow':
    case 'accounts.deny':
      // one account once: a list with repeats is some other list mistyped
      if (new Set(action.accounts.map(toHex)).size !== action.accounts.length) {
        throw new CoreError(ErrorCode.TxBadAction, `${action.type} lists an account twice`)
      }
      break
    case 'entity.set':
    case 'entity.del':
      break
  }
}

function runAction(batch: StateBatch, height: number, action: ProposalAction): void {
  switch (action.type) {
    case 'validators.set':
    case 'threshold.set': {
      const pending = batch.pending()
      batch.setPending({
        activateAt: height + VALIDATOR_SET_CHANGE_DELAY,
        validators:
          action.type === 'validators.set'
            ? action.validators.map(({ publicKey, account, shares }) => ({ publicKey, account, shares }))
            : (pending?.validators ?? batch.validators()),
        threshold: action.type === 'threshold.set' ? action.threshold : (pending?.threshold ?? batch.threshold()),
      })
      break
    }
    case 'entity.set':
      batch.set(entityKvKey(action.key), action.value)
      break
    case 'entity.del':
      batch.delete(entityKvKey(action.key))
      break
    case 'params.set':
      batch.setParams({ ...batch.params(), [action.name]: action.value })
      break
    case 'accounts.allow':
    case 'accounts.deny':
      // at most MAX_ACCOUNTS_PER_ACTION writes (the decoder's bound)
      for (const account of action.accounts) batch.setAdmitted(account, action.type === 'accounts.allow')
      break
  }
}

/** Closes an open proposal, passed or expired: its record goes, and its creator may open another. */
function closeProposal(batch: StateBatch, proposal: EntityProposal): void {
  batch.deleteProposal(proposal.id)
  batch.setOpenProposals(proposal.creator, Math.max(0, batch.openProposals(proposal.creator) - 1))
}

/**
 * The end of block `ctx.height`: runs the proposals that passed in it, expires the undecided ones
 * whose period ends here, and activates a pending validator set due at the next height. After it
 * the state holds the validator set and threshold that govern height + 1.
 *
 * Nothing a transaction did can make this throw: every action was checked when its proposal was
 * created (checkAction), every value read here is one a bounded write made (no state value grows
 * with the number of proposals, see state-keys.ts), and the work is bounded by the block's own
 * transactions plus validators x maxOpenProposals expiries. A throw here would fail every block
 * at this height, on every node, for good.
 */
export function endBlock(batch: StateBatch, ctx: BlockContext): void {
  for (const id of ctx.passed) {
    const proposal = batch.proposal(id)
    if (proposal === undefined) continue
    runAction(batch, ctx.height, decodeAction(proposal.action))
    closeProposal(batch, proposal)
  }
  const expiring = batch.expiringCount(ctx.height)
  for (let i = 0; i < expiring; i++) {
    const proposal = batch.proposal(batch.expiringAt(ctx.height, i))
    if (proposal !== undefined) closeProposal(batch, proposal)
  }
  batch.clearExpiring(ctx.height)
  const pending = batch.pending()
  if (pending !== undefined && pending.activateAt <= ctx.height + 1) {
    batch.setValidators(pending.validators, pending.threshold)
    batch.setPending(undefined)
  }
}
