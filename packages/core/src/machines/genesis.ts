// The genesis of an entity: its network, first validator set, threshold, parameters and start
// time. The entity's id is the hash of the canonical genesis encoding, so two entities with any
// difference in their genesis can never be confused, and block 1's parent hash is that id.

import type { Bytes } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import { asList, asString, asUint, decodeRlp, encodeRlp, encodeString, encodeUint } from '../codec/rlp.ts'
import { MAX_NETWORK_NAME } from '../limits.ts'
import { DEFAULT_THRESHOLD } from '../consensus/params.ts'
import { StateTree } from '../state/tree.ts'
import type { Threshold, ValidatorCandidate } from '../types/chain.ts'
import {
  DEFAULT_PARAMS,
  type EntityParams,
  EntityState,
  type StateWrite,
  checkParams,
  checkThreshold,
  checkValidators,
  decodeParams,
  encodeParams,
} from './entity-state.ts'
import { decodeCandidates, decodeThreshold, encodeCandidates, encodeThreshold } from './payloads.ts'

export interface Genesis {
  network: string
  /** Milliseconds since the epoch; block 1 may not be older. */
  time: number
  /** With proofs of possession, so that any node can check the set it starts from. */
  validators: ValidatorCandidate[]
  threshold: Threshold
  params: EntityParams
}

export type GenesisInit = Pick<Genesis, 'network' | 'time' | 'validators'> & Partial<Genesis>

export function makeGenesis(init: GenesisInit): Genesis {
  const genesis = { threshold: DEFAULT_THRESHOLD, params: DEFAULT_PARAMS, ...init }
  checkGenesis(genesis)
  return genesis
}

/**
 * Everything a genesis must satisfy, with the same rules as the proposals that could later change
 * it: the validator set as checkValidators admits it (count, shares and their sum, unique keys
 * and accounts, proofs of possession), the threshold, and every parameter within PARAM_RANGES.
 */
export function checkGenesis(g: Genesis): void {
  try {
    if (g.network.length === 0 || g.network.length > MAX_NETWORK_NAME || !/^[a-z0-9][a-z0-9._-]*$/.test(g.network)) {
      throw new Error(`network name ${JSON.stringify(g.network)} must be 1..${MAX_NETWORK_NAME} of a-z 0-9 . _ -`)
    }
    if (!Number.isSafeInteger(g.time) || g.time < 0) throw new Error(`genesis time ${g.time} is not a time`)
    checkValidators(g.validators)
    checkThreshold(g.threshold)
    checkParams(g.params)
  } catch (err) {
    const field = isCoreError(err) ? err.data['field'] : undefined
    throw new CoreError(ErrorCode.GenesisInvalid, (err as Error).message, field === undefined ? {} : { field })
  }
}

export function encodeGenesis(g: Genesis): Bytes {
  return encodeRlp([
    encodeString(g.network),
    encodeUint(g.time),
    encodeCandidates(g.validators),
    encodeThreshold(g.threshold),
    encodeParams(g.params),
  ])
}

export function decodeGenesis(bytes: Bytes): Genesis {
  const f = asList(decodeRlp(bytes, 1024 * 1024, 'genesis'), 'genesis', 5)
  const genesis: Genesis = {
    network: asString(f[0], 'genesis.network', MAX_NETWORK_NAME),
    time: asUint(f[1], 'genesis.time'),
    validators: decodeCandidates(f[2]),
    threshold: decodeThreshold(f[3]),
    params: decodeParams(f[4], 'genesis.params'),
  }
  checkGenesis(genesis)
  return genesis
}

/** The entity id: also the "hash" of height 0, the parent of block 1. */
export function genesisId(g: Genesis): Bytes {
  return sha256(encodeGenesis(g))
}

export function genesisState(g: Genesis): { state: EntityState; writes: StateWrite[] } {
  const batch = new EntityState(StateTree.empty()).batch()
  batch.setValidators(g.validators.map(({ publicKey, account, shares }) => ({ publicKey, account, shares })), g.threshold)
  batch.setParams(g.params)
  batch.setCounter(0)
  return batch.finish()
}
