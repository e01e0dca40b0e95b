// An entity's parameters: what each governs, its default, the range a genesis or a params.set
// may give it, and their one canonical encoding (parameters added later are left out at their
// defaults, so older encodings keep their bytes and hashes).

import { CoreError, ErrorCode } from '../errors.ts'
import { asList, asUint, encodeUint, type RlpItem } from '../codec/rlp.ts'
import { MAX_BLOCK_BYTES, MAX_BLOCK_TXS } from '../limits.ts'

export interface EntityParams {
  /** Blocks after which an undecided proposal expires, unless its creator asked for fewer. */
  proposalExpiry: number
  maxBlockTxs: number
  maxBlockBytes: number
  /**
   * Undecided proposals one validator account may have open at once. It bounds what one
   * validator can make the entity store, and the work of expiring them: at most
   * validators x maxOpenProposals proposals expire at one height.
   */
  maxOpenProposals: number
  /**
   * 1: any account may send transactions (accounts are free: any Ed25519 key is one). 0: only
   * accounts admitted by an accounts.allow proposal, and the validators' own accounts, may. An
   * entity whose users are known closes itself so that strangers who reach a node cannot fill
   * its blocks and grow its state for free (review H-6).
   */
  openAccounts: number
  /**
   * 1: this entity keeps the network's registry of entities and takes entity.create (the root
   * entity, the one the network's genesis file describes); 0: it does not (every registered
   * entity). See machines/registry.ts.
   */
  registry: number
  /**
   * Entities one account may register. Accounts are free on an open entity (openAccounts 1), so
   * there this bounds a careless user, not an attacker: maxEntitiesPerBlock bounds the registry's
   * growth, and a root closed to strangers (openAccounts 0) bounds it by admitted account.
   */
  maxEntitiesPerAccount: number
  /** Entities registered in one block at most: the registry grows by at most this per block. */
  maxEntitiesPerBlock: number
}

export const DEFAULT_MAX_OPEN_PROPOSALS = 16
export const DEFAULT_OPEN_ACCOUNTS = 1
export const DEFAULT_REGISTRY = 0
export const DEFAULT_MAX_ENTITIES_PER_ACCOUNT = 4
export const DEFAULT_MAX_ENTITIES_PER_BLOCK = 4

export const DEFAULT_PARAMS: EntityParams = {
  proposalExpiry: 1000,
  maxBlockTxs: 1000,
  maxBlockBytes: 1024 * 1024,
  maxOpenProposals: DEFAULT_MAX_OPEN_PROPOSALS,
  openAccounts: DEFAULT_OPEN_ACCOUNTS,
  registry: DEFAULT_REGISTRY,
  maxEntitiesPerAccount: DEFAULT_MAX_ENTITIES_PER_ACCOUNT,
  maxEntitiesPerBlock: DEFAULT_MAX_ENTITIES_PER_BLOCK,
}

/** What a genesis or a params.set may set each parameter to, inclusive. */
export const PARAM_RANGES: Readonly<Record<keyof EntityParams, readonly [min: number, max: number]>> = {
  proposalExpiry: [1, 1_000_000],
  maxBlockTxs: [1, MAX_BLOCK_TXS],
  maxBlockBytes: [1024, MAX_BLOCK_BYTES],
  maxOpenProposals: [1, 100],
  openAccounts: [0, 1],
  registry: [0, 1],
  maxEntitiesPerAccount: [1, 1_000],
  maxEntitiesPerBlock: [1, 100],
}

export function checkParam(name: keyof EntityParams, value: number): void {
  const [min, max] = PARAM_RANGES[name]
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new CoreError(ErrorCode.TxBadAction, `${name} must be within ${min}..${max}`, { field: name })
  }
}

export function checkParams(p: EntityParams): void {
  for (const name of Object.keys(PARAM_RANGES) as Array<keyof EntityParams>) checkParam(name, p[name])
}

/** The three parameters every encoding has. */
const REQUIRED_PARAMS = ['proposalExpiry', 'maxBlockTxs', 'maxBlockBytes'] as const
/** Parameters added later, in encoding order, with the default an encoding that leaves them out means. */
const OPTIONAL_PARAMS = [
  ['maxOpenProposals', DEFAULT_MAX_OPEN_PROPOSALS],
  ['openAccounts', DEFAULT_OPEN_ACCOUNTS],
  ['registry', DEFAULT_REGISTRY],
  ['maxEntitiesPerAccount', DEFAULT_MAX_ENTITIES_PER_ACCOUNT],
  ['maxEntitiesPerBlock', DEFAULT_MAX_ENTITIES_PER_BLOCK],
] as const

/**
 * [proposalExpiry, maxBlockTxs, maxBlockBytes, maxOpenProposals, openAccounts, registry,
 * maxEntitiesPerAccount, maxEntitiesPerBlock] without its
 * trailing items at their defaults: parameters written before the later ones existed (a genesis,
 * whose hash is the entity id, or the state) keep their bytes and so their hashes, and still
 * decode (to the defaults). An item before a non-default one is written even at its default.
 */
export function encodeParams(p: EntityParams): RlpItem {
  let n = OPTIONAL_PARAMS.length
  while (n > 0 && p[OPTIONAL_PARAMS[n - 1]![0]] === OPTIONAL_PARAMS[n - 1]![1]) n--
  return [...REQUIRED_PARAMS, ...OPTIONAL_PARAMS.slice(0, n).map(([name]) => name)].map((name) => encodeUint(p[name]))
}

export function decodeParams(item: RlpItem | undefined, what = 'params'): EntityParams {
  const f = asList(item, what)
  const most = REQUIRED_PARAMS.length + OPTIONAL_PARAMS.length
  if (f.length < REQUIRED_PARAMS.length || f.length > most) {
    throw new CoreError(ErrorCode.CodecBadField, `${what}: expected ${REQUIRED_PARAMS.length}..${most} items`, { field: what })
  }
  const params: EntityParams = { ...DEFAULT_PARAMS }
  REQUIRED_PARAMS.forEach((name, i) => (params[name] = asUint(f[i], name)))
  OPTIONAL_PARAMS.forEach(([name, fallback], i) => {
    const at = REQUIRED_PARAMS.length + i
    params[name] = at < f.length ? asUint(f[at], name) : fallback
    // one set of parameters, one encoding: a trailing default is left out, never written
    if (at === f.length - 1 && params[name] === fallback) {
      throw new CoreError(ErrorCode.CodecNonCanonical, `${what}: the default ${name} is left out`, { field: what })
    }
  })
  return params
}
