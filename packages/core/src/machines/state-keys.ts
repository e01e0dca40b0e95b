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
// | expiry/<height, 16 hex>     | [ids]: proposals that expire at the end of height  |
// | validators                  | [[publicKey, account, shares], ...]                |
// | threshold                   | [numerator, denominator]                           |
// | pending                     | [activateAt, validators, threshold]                |
// | params                      | [proposalExpiry, maxBlockTxs, maxBlockBytes]       |

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

export function expiryKey(height: number): Bytes {
  return utf8(`expiry/${height.toString(16).padStart(16, '0')}`)
}
