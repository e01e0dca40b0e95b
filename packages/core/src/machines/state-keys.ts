// The layout of an entity's state map. Everything the entity knows lives under one of these keys,
// so the one state root commits to all of it and any of it can be proven.
//
// | key                         | value (RLP)                                        |
// |-----------------------------|----------------------------------------------------|
// | counter                     | uint                                               |
// | kv/<account hex>/<key>      | bytes: an account's own key/value entries          |
// | ekv/<key>                   | bytes: entity-level entries, set only by proposals |
// | nonce/<account hex>         | uint: the account's next nonce                     |
// | proposal/<id hex>           | [action, creator, shares, expiresAt, [voters]]     |
// | open/<account hex>          | uint: open proposals the account created           |
// | account/<account hex>       | uint 1: the account is admitted (set and deleted   |
// |                             |  only by accounts.allow / accounts.deny proposals) |
// | expiry/<h>/count            | uint n: proposals listed to expire at end of h     |
// | expiry/<h>/<i, 8 hex>       | id of the i-th of them, i < n                      |
// | validators                  | [[publicKey, account, shares], ...]                |
// | threshold                   | [numerator, denominator]                           |
// | pending                     | [activateAt, validators, threshold]                |
// | params                      | [proposalExpiry, maxBlockTxs, maxBlockBytes        |
// |                             |  (, maxOpenProposals (, openAccounts)): trailing   |
// |                             |  items at their defaults are left out]             |
//
// The root's registry of entities has its own keys (entity/, entityname/, registry/, entities/:
// registry.ts).
//
// <h> is the height in 16 hex digits. No value grows with the number of proposals: the tree
// hashes its keys, so there is no listing by prefix, and a list in one value would grow until it
// no longer decoded (review C-1). Keys of the earlier layout, `expiry/<h>` with a list, are never
// read or written.

import { type Bytes, toHex, utf8 } from '../bytes.ts'

export const COUNTER_KEY = utf8('counter')
export const VALIDATORS_KEY = utf8('validators')
export const THRESHOLD_KEY = utf8('threshold')
export const PENDING_KEY = utf8('pending')
export const PARAMS_KEY = utf8('params')

export const KV_PREFIX = 'kv/'
export const ENTITY_KV_PREFIX = 'ekv/'

export function kvKey(account: Bytes, key: string): Bytes {
  return utf8(`${KV_PREFIX}${toHex(account)}/${key}`)
}

/** The user-facing name of an account's entry, `<account hex>/<key>`, as the CLI and API take it. */
export function kvKeyFromPath(path: string): Bytes {
  return utf8(`${KV_PREFIX}${path}`)
}

export function entityKvKey(key: string): Bytes {
  return utf8(`${ENTITY_KV_PREFIX}${key}`)
}

export function nonceKey(account: Bytes): Bytes {
  return utf8(`nonce/${toHex(account)}`)
}

export function proposalKey(id: Bytes): Bytes {
  return utf8(`proposal/${toHex(id)}`)
}

function expiryPrefix(height: number): string {
  return `expiry/${height.toString(16).padStart(16, '0')}/`
}

export function expiryCountKey(height: number): Bytes {
  return utf8(`${expiryPrefix(height)}count`)
}

export function expiryEntryKey(height: number, index: number): Bytes {
  return utf8(`${expiryPrefix(height)}${index.toString(16).padStart(8, '0')}`)
}

export function openProposalsKey(account: Bytes): Bytes {
  return utf8(`open/${toHex(account)}`)
}

/** Present when the account may send transactions to an entity closed to strangers (openAccounts 0). */
export function admittedAccountKey(account: Bytes): Bytes {
  return utf8(`account/${toHex(account)}`)
}
