// JSON-schema pieces shared by the routes: malformed input is a 400 from fastify's validator
// before the node sees it. Sizes come from core's limits, so the API never accepts what the node
// would refuse for size alone.

import { MAX_KV_KEY, MAX_TX_BYTES, MAX_TX_PAYLOAD, TX_KINDS } from '@p2pnode/core'
import { MAX_BAN_MINUTES, MAX_BAN_REASON_CHARS, MAX_SUBMIT_BATCH } from './node-api.ts'

/** Whole bytes as hex, either case, no 0x. */
export const HEX_PATTERN = '^(?:[0-9a-fA-F]{2})*$'
export const HASH_PATTERN = '^[0-9a-fA-F]{64}$'
/** A block id: a decimal height (no leading zeros) or a 64-hex block hash. */
export const BLOCK_ID_PATTERN = '^(?:0|[1-9][0-9]{0,14}|[0-9a-fA-F]{64})$'
/** `<account hex>/<key>`: a 20-byte account address, then the account's own key. */
export const KV_KEY_PATTERN = '^[0-9a-fA-F]{40}/.+$'
/** Peer ids are base58btc (12D3Koo..., Qm...) or base32 CIDs: letters and digits only. */
export const PEER_ID_PATTERN = '^[0-9A-Za-z]{1,128}$'

export const MAX_BLOCKS_PER_REQUEST = 100
export const DEFAULT_KV_KEYS_LIMIT = 100
export const MAX_KV_KEYS_LIMIT = 1000
export const MAX_MULTIADDR_CHARS = 1024
export const MAX_KV_PATH_CHARS = 41 + MAX_KV_KEY
const MAX_HEIGHT = Number.MAX_SAFE_INTEGER

export const txBody = {
  type: 'object',
  required: ['tx'],
  additionalProperties: false,
  properties: { tx: { type: 'string', minLength: 2, maxLength: 2 * MAX_TX_BYTES, pattern: HEX_PATTERN } },
} as const

export const txBatchBody = {
  type: 'object',
  required: ['txs'],
  additionalProperties: false,
  properties: {
    txs: { type: 'array', minItems: 1, maxItems: MAX_SUBMIT_BATCH, items: { type: 'string', minLength: 2, maxLength: 2 * MAX_TX_BYTES, pattern: HEX_PATTERN } },
  },
} as const

/**
 * Which hosted entity a request is about: its id (64 hex) or registered name; the root when
 * absent. The one scheme for every entity-scoped route: `?entity=` (a body field for POSTs).
 */
export const ENTITY_PATTERN = '^([0-9a-fA-F]{64}|[a-z][a-z0-9._-]{0,63})$'
const entity = { type: 'string', pattern: ENTITY_PATTERN } as const

export const entityQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { entity },
} as const

export const unsignedTxBody = {
  type: 'object',
  required: ['kind', 'payload'],
  additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: [...TX_KINDS] },
    payload: { type: 'string', maxLength: 2 * MAX_TX_PAYLOAD, pattern: HEX_PATTERN },
    entity,
  },
} as const

export const hashParams = {
  type: 'object',
  required: ['hash'],
  properties: { hash: { type: 'string', pattern: HASH_PATTERN } },
} as const

export const blockIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: BLOCK_ID_PATTERN } },
} as const

export const blockRangeQuery = {
  type: 'object',
  required: ['from'],
  additionalProperties: false,
  properties: {
    from: { type: 'integer', minimum: 0, maximum: MAX_HEIGHT },
    to: { type: 'integer', minimum: 0, maximum: MAX_HEIGHT },
    entity,
  },
} as const

export const connectBody = {
  type: 'object',
  required: ['multiaddr'],
  additionalProperties: false,
  properties: { multiaddr: { type: 'string', minLength: 2, maxLength: MAX_MULTIADDR_CHARS, pattern: '^/' } },
} as const

export const peerIdParams = {
  type: 'object',
  required: ['peerId'],
  properties: { peerId: { type: 'string', pattern: PEER_ID_PATTERN } },
} as const

export const banBody = {
  type: 'object',
  required: ['peerId'],
  additionalProperties: false,
  properties: {
    peerId: { type: 'string', pattern: PEER_ID_PATTERN },
    minutes: { type: 'integer', minimum: 1, maximum: MAX_BAN_MINUTES },
    // no control characters: the reason goes into logs and the CLI's tables line by line
    reason: { type: 'string', minLength: 1, maxLength: MAX_BAN_REASON_CHARS, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
  },
} as const

export const kvGetQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { prove: { type: 'string', enum: ['0', '1', 'true', 'false'] }, entity },
} as const

export const proveQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { prove: { type: 'string', enum: ['0', '1', 'true', 'false'] } },
} as const

export const DEFAULT_REGISTRY_LIMIT = 100
export const MAX_REGISTRY_LIMIT = 1_000

export const registryQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: MAX_REGISTRY_LIMIT },
  },
} as const

/** An entity id (64 hex) or a registered name (registry.ts ENTITY_NAME_PATTERN). */
export const registryEntityParams = {
  type: 'object',
  additionalProperties: false,
  required: ['entity'],
  properties: { entity },
} as const

export const kvKeysQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    prefix: { type: 'string', maxLength: MAX_KV_PATH_CHARS },
    limit: { type: 'integer', minimum: 1, maximum: MAX_KV_KEYS_LIMIT },
    entity,
  },
} as const
