// Transaction payloads and proposal actions: each kind's own canonical RLP. A payload is decoded
// when the transaction executes (and by the mempool's admission check), never trusted before.

import { type Bytes } from '../bytes.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { MAX_KV_KEY, MAX_KV_VALUE, MAX_TX_PAYLOAD, MAX_VALIDATORS } from '../limits.ts'
import type { Threshold, Validator, ValidatorCandidate } from '../types/chain.ts'
import {
  type RlpItem,
  asBoundedBytes,
  asBytes,
  asList,
  asString,
  asUint,
  decodeRlp,
  encodeRlp,
  encodeString,
  encodeUint,
} from '../codec/rlp.ts'

function decodePayload<T>(payload: Bytes, what: string, read: (item: RlpItem) => T): T {
  try {
    return read(decodeRlp(payload, MAX_TX_PAYLOAD, what))
  } catch (err) {
    if (err instanceof CoreError && err.code !== ErrorCode.TxBadAction) {
      throw new CoreError(ErrorCode.TxBadPayload, `${what}: ${err.message}`, { cause: err.code })
    }
    throw err
  }
}

export function asKvKey(item: RlpItem | undefined, name: string): string {
  const key = asString(item, name, MAX_KV_KEY)
  if (key.length === 0) throw new CoreError(ErrorCode.CodecBadField, `${name}: empty key`)
  return key
}

// ---- counter.add N

export function encodeCounterAdd(amount: number): Bytes {
  return encodeRlp(encodeUint(amount))
}

export function decodeCounterAdd(payload: Bytes): number {
  return decodePayload(payload, 'counter.add', (item) => asUint(item, 'amount'))
}

// ---- kv.set KEY VALUE, kv.del KEY (keys live in the sender's namespace)

export function encodeKvSet(key: string, value: Bytes): Bytes {
  return encodeRlp([encodeString(key), value])
}

export function decodeKvSet(payload: Bytes): { key: string; value: Bytes } {
  return decodePayload(payload, 'kv.set', (item) => {
    const f = asList(item, 'kv.set', 2)
    return { key: asKvKey(f[0], 'key'), value: asBoundedBytes(f[1], 'value', MAX_KV_VALUE) }
  })
}

export function encodeKvDel(key: string): Bytes {
  return encodeRlp(encodeString(key))
}

export function decodeKvDel(payload: Bytes): string {
  return decodePayload(payload, 'kv.del', (item) => asKvKey(item, 'key'))
}

// ---- proposal actions: the only way privileged state changes

export type ProposalAction =
  | { type: 'validators.set'; validators: ValidatorCandidate[] }
  | { type: 'threshold.set'; threshold: Threshold }
  | { type: 'entity.set'; key: string; value: Bytes }
  | { type: 'entity.del'; key: string }
  | { type: 'params.set'; name: ParamName; value: number }
  | { type: 'accounts.allow' | 'accounts.deny'; accounts: Bytes[] }

export const PARAM_NAMES = [
  'proposalExpiry',
  'maxBlockTxs',
  'maxBlockBytes',
  'maxOpenProposals',
  'openAccounts',
  'registry',
  'maxEntitiesPerAccount',
  'maxEntitiesPerBlock',
] as const
export type ParamName = (typeof PARAM_NAMES)[number]

/**
 * Most accounts one accounts.allow or accounts.deny lists: it bounds the writes a passed proposal
 * makes at the end of a block, and keeps the action (21 bytes an account) inside a payload.
 */
export const MAX_ACCOUNTS_PER_ACTION = 256

function decodeAccounts(item: RlpItem | undefined): Bytes[] {
  const list = asList(item, 'accounts')
  if (list.length === 0 || list.length > MAX_ACCOUNTS_PER_ACTION) {
    throw new CoreError(ErrorCode.TxBadAction, `an accounts action lists 1..${MAX_ACCOUNTS_PER_ACTION} accounts, got ${list.length}`)
  }
  return list.map((a, i) => asBytes(a, `accounts[${i}]`, 20))
}

export function encodeValidators(validators: Validator[]): RlpItem {
  return validators.map((v) => [v.publicKey, v.account, encodeUint(v.shares)])
}

export function decodeValidators(item: RlpItem | undefined): Validator[] {
  const list = asList(item, 'validators')
  if (list.length === 0 || list.length > MAX_VALIDATORS) {
    throw new CoreError(ErrorCode.TxBadAction, `a validator set needs 1..${MAX_VALIDATORS} validators`)
  }
  return list.map((entry, i) => {
    const f = asList(entry, `validators[${i}]`, 3)
    return {
      publicKey: asBytes(f[0], `validators[${i}].publicKey`, 48),
      account: asBytes(f[1], `validators[${i}].account`, 20),
      shares: asUint(f[2], `validators[${i}].shares`),
    }
  })
}

/** Validators with their proofs of possession, as a genesis or a validators.set action lists them. */
export function encodeCandidates(validators: ValidatorCandidate[]): RlpItem {
  return validators.map((v) => [v.publicKey, v.account, encodeUint(v.shares), v.proofOfPossession])
}

export function decodeCandidates(item: RlpItem | undefined): ValidatorCandidate[] {
  const list = asList(item, 'validators')
  if (list.length === 0 || list.length > MAX_VALIDATORS) {
    throw new CoreError(ErrorCode.TxBadAction, `a validator set needs 1..${MAX_VALIDATORS} validators`)
  }
  return list.map((entry, i) => {
    const f = asList(entry, `validators[${i}]`, 4)
    return {
      publicKey: asBytes(f[0], `validators[${i}].publicKey`, 48),
      account: asBytes(f[1], `validators[${i}].account`, 20),
      shares: asUint(f[2], `validators[${i}].shares`),
      proofOfPossession: asBytes(f[3], `validators[${i}].proofOfPossession`, 96),
    }
  })
}

export function encodeThreshold(t: Threshold): RlpItem {
  return [encodeUint(t.numerator), encodeUint(t.denominator)]
}

export function decodeThreshold(item: RlpItem | undefined): Threshold {
  const f = asList(item, 'threshold', 2)
  return { numerator: asUint(f[0], 'threshold.numerator'), denominator: asUint(f[1], 'threshold.denominator') }
}

export function encodeAction(action: ProposalAction): Bytes {
  switch (action.type) {
    case 'validators.set':
      return encodeRlp([encodeString(action.type), encodeCandidates(action.validators)])
    case 'threshold.set':
      return encodeRlp([encodeString(action.type), encodeThreshold(action.threshold)])
    case 'entity.set':
      return encodeRlp([encodeString(action.type), encodeString(action.key), action.value])
    case 'entity.del':
      return encodeRlp([encodeString(action.type), encodeString(action.key)])
    case 'params.set':
      return encodeRlp([encodeString(action.type), encodeString(action.name), encodeUint(action.value)])
    case 'accounts.allow':
    case 'accounts.deny':
      return encodeRlp([encodeString(action.type), action.accounts])
  }
}

/** Items of each action's list, its type included. */
const ACTION_FIELDS: Record<string, number> = {
  'validators.set': 2,
  'threshold.set': 2,
  'entity.set': 3,
  'entity.del': 2,
  'params.set': 3,
  'accounts.allow': 2,
  'accounts.deny': 2,
}

export function decodeAction(bytes: Bytes): ProposalAction {
  return decodePayload(bytes, 'proposal action', (item) => {
    const f = asList(item, 'action')
    const type = asString(f[0], 'action.type', 32)
    // each action has exactly its fields: one action, one encoding (an extra item is refused)
    const fields = ACTION_FIELDS[type]
    if (fields !== undefined && f.length !== fields) throw new CoreError(ErrorCode.CodecBadField, `action ${type}: expected ${fields} items, got ${f.length}`, { field: 'action' })
    switch (type) {
      case 'validators.set':
        return { type, validators: decodeCandidates(f[1]) }
      case 'threshold.set':
        return { type, threshold: decodeThreshold(f[1]) }
      case 'entity.set':
        return { type, key: asKvKey(f[1], 'key'), value: asBoundedBytes(f[2], 'value', MAX_KV_VALUE) }
      case 'entity.del':
        return { type, key: asKvKey(f[1], 'key') }
      case 'params.set': {
        const name = asString(f[1], 'param', 32)
        if (!(PARAM_NAMES as readonly string[]).includes(name)) {
          throw new CoreError(ErrorCode.TxBadAction, `unknown entity parameter ${name}`)
        }
        return { type, name: name as ParamName, value: asUint(f[2], 'value') }
      }
      case 'accounts.allow':
      case 'accounts.deny':
        return { type, accounts: decodeAccounts(f[1]) }
      default:
        throw new CoreError(ErrorCode.TxBadAction, `unknown proposal action ${type}`)
    }
  })
}

// ---- proposal.create ACTION [expiresIn], proposal.vote ID

export function encodeProposalCreate(action: ProposalAction, expiresIn = 0): Bytes {
  return encodeRlp([encodeAction(action), encodeUint(expiresIn)])
}

export function decodeProposalCreate(payload: Bytes): { action: ProposalAction; actionBytes: Bytes; expiresIn: number } {
  const { actionBytes, expiresIn } = decodePayload(payload, 'proposal.create', (item) => {
    const f = asList(item, 'proposal.create', 2)
    return { actionBytes: asBoundedBytes(f[0], 'action', MAX_TX_PAYLOAD), expiresIn: asUint(f[1], 'expiresIn') }
  })
  return { action: decodeAction(actionBytes), actionBytes, expiresIn }
}

export function encodeProposalVote(id: Bytes): Bytes {
  return encodeRlp(id)
}

export function decodeProposalVote(payload: Bytes): Bytes {
  return decodePayload(payload, 'proposal.vote', (item) => asBytes(item, 'proposal id', 32))
}
