// Typed access to an entity's state map (layout in state-keys.ts). `EntityState` is an immutable
// snapshot over the authenticated tree; `StateBatch` is the mutable view one block executes
// against, recording every write so the block can be stored as one atomic batch, or dropped.

import { type Bytes, equals, toHex } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { asBytes, asList, asUint, decodeRlp, encodeRlp, encodeUint, type RlpItem } from '../codec/rlp.ts'
import { StateTree } from '../state/tree.ts'
import type { Threshold, Validator, ValidatorCandidate } from '../types/chain.ts'
import { verifyBlsPossession } from '../crypto/bls.ts'
import { MAX_VALIDATORS } from '../limits.ts'
import { strictlyAbove } from '../consensus/weights.ts'
import {
  decodeThreshold,
  decodeValidators,
  encodeThreshold,
  encodeValidators,
} from './payloads.ts'
import {
  COUNTER_KEY,
  PARAMS_KEY,
  PENDING_KEY,
  THRESHOLD_KEY,
  VALIDATORS_KEY,
  admittedAccountKey,
  expiryCountKey,
  expiryEntryKey,
  nonceKey,
  openProposalsKey,
  proposalKey,
} from './state-keys.ts'
import { DEFAULT_PARAMS, type EntityParams, decodeParams, encodeParams } from './entity-params.ts'

export * from './entity-params.ts'

export interface EntityProposal {
  id: Bytes
  action: Bytes
  creator: Bytes
  /** Support when last counted: the shares, in the set of that time, of the voters still in it. */
  shares: number
  expiresAt: number
  voters: Bytes[]
}

/** A validator-set or threshold change waiting for its activation height. */
export interface PendingValidators {
  activateAt: number
  validators: Validator[]
  threshold: Threshold
}

const STATE_VALUE_LIMIT = 1024 * 1024

/** The value of an admitted account's key: only its presence is read. */
const ADMITTED = encodeRlp(encodeUint(1))

function corrupt(what: string, err: unknown): CoreError {
  return new CoreError(ErrorCode.StorageCorrupt, `state value ${what} does not decode: ${(err as Error).message}`)
}

function decodeStateValue<T>(bytes: Bytes, what: string, read: (item: RlpItem) => T): T {
  try {
    return read(decodeRlp(bytes, STATE_VALUE_LIMIT, what))
  } catch (err) {
    throw corrupt(what, err)
  }
}

export function encodeEntityProposal(p: EntityProposal): Bytes {
  return encodeRlp([p.action, p.creator, encodeUint(p.shares), encodeUint(p.expiresAt), p.voters])
}

export function decodeEntityProposal(id: Bytes, bytes: Bytes): EntityProposal {
  return decodeStateValue(bytes, 'proposal', (item) => {
    const f = asList(item, 'proposal', 5)
    return {
      id,
      action: asBytes(f[0], 'action'),
      creator: asBytes(f[1], 'creator', 20),
      shares: asUint(f[2], 'shares'),
      expiresAt: asUint(f[3], 'expiresAt'),
      voters: asList(f[4], 'voters').map((v) => asBytes(v, 'voter', 20)),
    }
  })
}

export function validatorsHash(validators: Validator[], threshold: Threshold): Bytes {
  return sha256(encodeRlp([encodeValidators(validators), encodeThreshold(threshold)]))
}

export function totalShares(validators: Validator[]): number {
  let total = 0
  for (const v of validators) total += v.shares
  return total
}

/** A quorum is strictly more than the threshold fraction of all shares (as consensus counts it). */
export function hasQuorum(shares: number, total: number, threshold: Threshold): boolean {
  return shares >= strictlyAbove(total, threshold)
}

export function checkThreshold(t: Threshold): void {
  if (t.denominator === 0 || t.numerator * 3 < t.denominator * 2 || t.numerator >= t.denominator) {
    throw new CoreError(ErrorCode.TxBadAction, `threshold ${t.numerator}/${t.denominator} must be at least 2/3 and below 1`)
  }
}

/**
 * A validator set that may be admitted: 1..MAX_VALIDATORS validators with positive shares whose
 * sum is a safe integer (consensus counts in those totals, and refuses a set it cannot count:
 * a set admitted here must never reach that refusal), no BLS key and no account twice (a
 * proposal vote is matched to its validator by account), every key's possession proven.
 */
export function checkValidators(validators: ValidatorCandidate[]): void {
  if (validators.length === 0 || validators.length > MAX_VALIDATORS) {
    throw new CoreError(ErrorCode.TxBadAction, `a validator set needs 1..${MAX_VALIDATORS} validators`)
  }
  const keys = new Set<string>()
  const accounts = new Set<string>()
  let total = 0
  for (const v of validators) {
    if (!Number.isSafeInteger(v.shares) || v.shares <= 0) {
      throw new CoreError(ErrorCode.TxBadAction, 'every validator needs a positive whole number of shares')
    }
    total += v.shares
    if (!Number.isSafeInteger(total)) {
      throw new CoreError(ErrorCode.TxBadAction, `total shares pass ${Number.MAX_SAFE_INTEGER}`)
    }
    if (v.account.length !== 20) throw new CoreError(ErrorCode.TxBadAction, 'a validator account is 20 bytes')
    const key = toHex(v.publicKey)
    if (keys.has(key)) throw new CoreError(ErrorCode.TxBadAction, `validator ${key.slice(0, 16)} listed twice`)
    keys.add(key)
    const account = toHex(v.account)
    if (accounts.has(account)) throw new CoreError(ErrorCode.TxBadAction, `account ${account} belongs to two validators`)
    accounts.add(account)
  }
  // Last: the pairing check is by far the most expensive.
  for (const v of validators) {
    if (!verifyBlsPossession(v.publicKey, v.proofOfPossession)) {
      throw new CoreError(ErrorCode.TxBadAction, `validator ${toHex(v.publicKey).slice(0, 16)} has no valid proof of possession`)
    }
  }
}

/** Read access shared by snapshots and batches. */
export abstract class StateReader {
  abstract get(key: Bytes): Bytes | undefined

  counter(): number {
    const v = this.get(COUNTER_KEY)
    return v === undefined ? 0 : decodeStateValue(v, 'counter', (i) => asUint(i, 'counter'))
  }

  nonce(account: Bytes): number {
    const v = this.get(nonceKey(account))
    return v === undefined ? 0 : decodeStateValue(v, 'nonce', (i) => asUint(i, 'nonce'))
  }

  validators(): Validator[] {
    const v = this.get(VALIDATORS_KEY)
    if (v === undefined) throw new CoreError(ErrorCode.StorageCorrupt, 'entity state has no validator set')
    return decodeStateValue(v, 'validators', decodeValidators)
  }

  threshold(): Threshold {
    const v = this.get(THRESHOLD_KEY)
    if (v === undefined) throw new CoreError(ErrorCode.StorageCorrupt, 'entity state has no threshold')
    return decodeStateValue(v, 'threshold', decodeThreshold)
  }

  params(): EntityParams {
    const v = this.get(PARAMS_KEY)
    if (v === undefined) return DEFAULT_PARAMS
    return decodeStateValue(v, 'params', (item) => decodeParams(item))
  }

  pending(): PendingValidators | undefined {
    const v = this.get(PENDING_KEY)
    if (v === undefined) return undefined
    return decodeStateValue(v, 'pending', (item) => {
      const f = asList(item, 'pending', 3)
      return { activateAt: asUint(f[0], 'activateAt'), validators: decodeValidators(f[1]), threshold: decodeThreshold(f[2]) }
    })
  }

  proposal(id: Bytes): EntityProposal | undefined {
    const v = this.get(proposalKey(id))
    return v === undefined ? undefined : decodeEntityProposal(id, v)
  }

  /** How many proposal ids are listed to expire at the end of `height` (some may have closed since). */
  expiringCount(height: number): number {
    const v = this.get(expiryCountKey(height))
    return v === undefined ? 0 : decodeStateValue(v, 'expiry count', (i) => asUint(i, 'count'))
  }

  /** The `index`-th id listed to expire at the end of `height`, index < expiringCount(height). */
  expiringAt(height: number, index: number): Bytes {
    const v = this.get(expiryEntryKey(height, index))
    if (v === undefined) throw new CoreError(ErrorCode.StorageCorrupt, `expiry entry ${index} at ${height} is missing`)
    return decodeStateValue(v, 'expiry entry', (i) => asBytes(i, 'id', 32))
  }

  /** Open proposals created by `account`. */
  openProposals(account: Bytes): number {
    const v = this.get(openProposalsKey(account))
    return v === undefined ? 0 : decodeStateValue(v, 'open proposals', (i) => asUint(i, 'open'))
  }

  /** Whether an accounts.allow proposal admitted `account` (and no accounts.deny removed it since). */
  isAdmitted(account: Bytes): boolean {
    return this.get(admittedAccountKey(account)) !== undefined
  }

  /**
   * Whether `account` may send transactions: anyone on an open entity; on a closed one
   * (openAccounts 0) an admitted account or a validator's own (validators govern the entity, and
   * would have no way to admit anyone otherwise). Cheapest first: the admitted key is one lookup,
   * the validator set a decode.
   */
  maySend(account: Bytes): boolean {
    if (this.params().openAccounts !== 0 || this.isAdmitted(account)) return true
    return this.validators().some((v) => equals(v.account, account))
  }

  /** Hash of the validator set and threshold that govern the next height. */
  validatorsHash(): Bytes {
    return validatorsHash(this.validators(), this.threshold())
  }
}

/** An immutable snapshot of an entity's state. */
export class EntityState extends StateReader {
  constructor(readonly tree: StateTree) {
    super()
  }

  get(key: Bytes): Bytes | undefined {
    return this.tree.get(key)
  }

  root(): Bytes {
    return this.tree.root()
  }

  batch(): StateBatch {
    return new StateBatch(this.tree)
  }
}

export type StateWrite = [key: Bytes, value: Bytes | null]

/** A mutable view for executing one block; `finish` gives the new snapshot and the writes. */
export class StateBatch extends StateReader {
  private tree: StateTree
  private readonly writes = new Map<string, StateWrite>()

  constructor(tree: StateTree) {
    super()
    this.tree = tree
  }

  get(key: Bytes): Bytes | undefined {
    return this.tree.get(key)
  }

  set(key: Bytes, value: Bytes): void {
    this.tree = this.tree.set(key, value)
    this.writes.set(toHex(key), [key, value])
  }

  delete(key: Bytes): void {
    this.tree = this.tree.delete(key)
    this.writes.set(toHex(key), [key, null])
  }

  setCounter(n: number): void {
    this.set(COUNTER_KEY, encodeRlp(encodeUint(n)))
  }

  setNonce(account: Bytes, n: number): void {
    this.set(nonceKey(account), encodeRlp(encodeUint(n)))
  }

  setValidators(validators: Validator[], threshold: Threshold): void {
    this.set(VALIDATORS_KEY, encodeRlp(encodeValidators(validators)))
    this.set(THRESHOLD_KEY, encodeRlp(encodeThreshold(threshold)))
  }

  setParams(p: EntityParams): void {
    this.set(PARAMS_KEY, encodeRlp(encodeParams(p)))
  }

  setPending(p: PendingValidators | undefined): void {
    if (p === undefined) return this.delete(PENDING_KEY)
    this.set(PENDING_KEY, encodeRlp([encodeUint(p.activateAt), encodeValidators(p.validators), encodeThreshold(p.threshold)]))
  }

  setProposal(p: EntityProposal): void {
    this.set(proposalKey(p.id), encodeEntityProposal(p))
  }

  deleteProposal(id: Bytes): void {
    this.delete(proposalKey(id))
  }

  /** Lists a proposal to expire at the end of `height`: one new key, whatever the list's length. */
  addExpiring(height: number, id: Bytes): void {
    const n = this.expiringCount(height)
    this.set(expiryEntryKey(height, n), encodeRlp(id))
    this.set(expiryCountKey(height), encodeRlp(encodeUint(n + 1)))
  }

  /** Removes the whole list of `height` (after its proposals were closed). */
  clearExpiring(height: number): void {
    const n = this.expiringCount(height)
    for (let i = 0; i < n; i++) this.delete(expiryEntryKey(height, i))
    if (n > 0) this.delete(expiryCountKey(height))
  }

  setOpenProposals(account: Bytes, n: number): void {
    if (n === 0) this.delete(openProposalsKey(account))
    else this.set(openProposalsKey(account), encodeRlp(encodeUint(n)))
  }

  setAdmitted(account: Bytes, admitted: boolean): void {
    if (admitted) this.set(admittedAccountKey(account), ADMITTED)
    else this.delete(admittedAccountKey(account))
  }

  finish(): { state: EntityState; writes: StateWrite[] } {
    return { state: new EntityState(this.tree), writes: [...this.writes.values()] }
  }
}
