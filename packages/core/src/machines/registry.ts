// The registry of entities, kept by the network's root entity (the one its genesis file
// describes: the entity whose `registry` parameter is 1). `entity.create` registers an entity by
// its genesis; its id is the hash of that genesis, so anyone holding the registry entry can check
// that a chain's block 1 descends from it, and its validators (with proofs of possession) are
// the set that signs its first commits. An entity's later validator sets change only by its own
// proposals; the root learns of them through entity outputs, a later step.
//
// State layout (beside state-keys.ts's):
//
// | key                         | value (RLP)                                         |
// |-----------------------------|-----------------------------------------------------|
// | entity/<id hex>             | [genesis bytes, name ('' for none), creator, height] |
// | entityname/<name>           | id: a name is unique                                |
// | registry/count              | uint n: entities registered                         |
// | registry/<i, 8 hex>         | id of the i-th registered, i < n (a list to page)   |
// | entities/<account hex>      | uint: entities the account registered               |
//
// What stops one account from filling the registry is two root parameters: maxEntitiesPerAccount
// and maxEntitiesPerBlock (entity-params.ts). A genesis must fit a transaction's payload
// (MAX_TX_PAYLOAD, 8 KiB: about 45 validators), which also bounds the proofs of possession one
// registration makes every node check.

import { type Bytes, equals, toHex, utf8 } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import { asBoundedBytes, asBytes, asList, asString, asUint, decodeRlp, encodeRlp, encodeString, encodeUint } from '../codec/rlp.ts'
import { MAX_TX_PAYLOAD } from '../limits.ts'
import { type Genesis, decodeGenesis, encodeGenesis } from './genesis.ts'
import type { StateBatch, StateReader } from './entity-state.ts'
import { DEFAULT_PARAMS, type EntityParams } from './entity-params.ts'

/** An entity's optional name: unique in the registry, so it can stand for the id on the command line. */
export const MAX_ENTITY_NAME = 64
export const ENTITY_NAME_PATTERN = /^[a-z][a-z0-9._-]*$/

/**
 * A root entity's parameters as p2pnode generates a network (init, testnet, devnet): the defaults
 * with a registry. A genesis file without `params.registry` keeps 0, so the ids of networks made
 * before the registry existed do not change; such a root gains one by a params.set proposal.
 */
export const ROOT_PARAMS: EntityParams = { ...DEFAULT_PARAMS, registry: 1 }

export interface RegistryEntry {
  id: Bytes
  genesisBytes: Bytes
  genesis: Genesis
  /** '' when the entity has none. */
  name: string
  /** The account that registered it. */
  creator: Bytes
  /** The root height whose block registered it. */
  height: number
}

export function registryEntryKey(id: Bytes): Bytes {
  return utf8(`entity/${toHex(id)}`)
}

export function registryNameKey(name: string): Bytes {
  return utf8(`entityname/${name}`)
}

export const REGISTRY_COUNT_KEY = utf8('registry/count')

export function registryIndexKey(index: number): Bytes {
  return utf8(`registry/${index.toString(16).padStart(8, '0')}`)
}

export function entitiesOfKey(account: Bytes): Bytes {
  return utf8(`entities/${toHex(account)}`)
}

export function checkEntityName(name: string): void {
  if (name.length > MAX_ENTITY_NAME || !ENTITY_NAME_PATTERN.test(name)) {
    throw new CoreError(ErrorCode.TxBadPayload, `an entity name is 1..${MAX_ENTITY_NAME} of a-z 0-9 . _ -, starting with a letter; got ${JSON.stringify(name)}`)
  }
}

// ---- entity.create [genesis, name]

export function encodeEntityCreate(genesis: Genesis, name = ''): Bytes {
  return encodeRlp([encodeGenesis(genesis), encodeString(name)])
}

function decodeEntityCreate(payload: Bytes): { genesisBytes: Bytes; name: string } {
  try {
    const f = asList(decodeRlp(payload, MAX_TX_PAYLOAD, 'entity.create'), 'entity.create', 2)
    return { genesisBytes: asBoundedBytes(f[0], 'genesis', MAX_TX_PAYLOAD), name: asString(f[1], 'name', MAX_ENTITY_NAME) }
  } catch (err) {
    throw new CoreError(ErrorCode.TxBadPayload, `entity.create: ${(err as Error).message}`, isCoreError(err) ? { cause: err.code } : {})
  }
}

/** A registry entry's state value (under registryEntryKey(id)); a client checks a proven one with it. */
export function decodeRegistryEntry(id: Bytes, bytes: Bytes): RegistryEntry {
  const f = asList(decodeRlp(bytes, MAX_TX_PAYLOAD * 2, 'registry entry'), 'registry entry', 4)
  const genesisBytes = asBytes(f[0], 'genesis')
  return { id, genesisBytes, genesis: decodeGenesis(genesisBytes), name: asString(f[1], 'name', MAX_ENTITY_NAME), creator: asBytes(f[2], 'creator', 20), height: asUint(f[3], 'height') }
}

function readUint(reader: StateReader, key: Bytes, what: string): number {
  const v = reader.get(key)
  return v === undefined ? 0 : asUint(decodeRlp(v, 16, what), what)
}

// ---- reads

export function registryEntry(reader: StateReader, id: Bytes): RegistryEntry | undefined {
  const v = reader.get(registryEntryKey(id))
  return v === undefined ? undefined : decodeRegistryEntry(id, v)
}

export function registryIdByName(reader: StateReader, name: string): Bytes | undefined {
  const v = reader.get(registryNameKey(name))
  return v === undefined ? undefined : asBytes(decodeRlp(v, 64, 'entity name'), 'id', 32)
}

export function registryCount(reader: StateReader): number {
  return readUint(reader, REGISTRY_COUNT_KEY, 'registry count')
}

/** Ids registered from index `from`, at most `limit`, in the order they were registered. */
export function registryIds(reader: StateReader, from: number, limit: number): Bytes[] {
  const ids: Bytes[] = []
  const end = Math.min(registryCount(reader), from + limit)
  for (let i = Math.max(0, from); i < end; i++) {
    const v = reader.get(registryIndexKey(i))
    if (v !== undefined) ids.push(asBytes(decodeRlp(v, 64, 'registry index'), 'id', 32))
  }
  return ids
}

export function entitiesOf(reader: StateReader, account: Bytes): number {
  return readUint(reader, entitiesOfKey(account), 'entities of account')
}

// ---- execution

/**
 * Applies an entity.create from `account`, cheapest checks first and the proofs of possession
 * last; writes nothing unless every check passes. `registeredInBlock` is how many this block
 * registered before it.
 */
export function applyEntityCreate(batch: StateBatch, account: Bytes, payload: Bytes, network: string, height: number, registeredInBlock: number): void {
  const params = batch.params()
  if (params.registry !== 1) throw new CoreError(ErrorCode.TxNoRegistry, 'this entity keeps no registry: entities are registered in the network\'s root entity')
  if (registeredInBlock >= params.maxEntitiesPerBlock) {
    throw new CoreError(ErrorCode.TxRegistryBusy, `this block registers ${params.maxEntitiesPerBlock} entities already: send it again`, { limit: params.maxEntitiesPerBlock })
  }
  const mine = entitiesOf(batch, account)
  if (mine >= params.maxEntitiesPerAccount) {
    throw new CoreError(ErrorCode.TxTooManyEntities, `the account registered ${mine} entities, the most it may`, { limit: params.maxEntitiesPerAccount })
  }
  const { genesisBytes, name } = decodeEntityCreate(payload)
  if (name !== '') {
    checkEntityName(name)
    if (batch.get(registryNameKey(name)) !== undefined) throw new CoreError(ErrorCode.TxEntityNameTaken, `an entity named ${name} is registered`)
  }
  const id = sha256(genesisBytes)
  if (batch.get(registryEntryKey(id)) !== undefined) throw new CoreError(ErrorCode.TxEntityExists, `entity ${toHex(id)} is registered`)
  let genesis: Genesis
  try {
    genesis = decodeGenesis(genesisBytes) // checks every proof of possession
    // one genesis, one encoding, one id
    if (!equals(encodeGenesis(genesis), genesisBytes)) throw new Error('the genesis is not in its canonical encoding')
    if (genesis.network !== network) throw new Error(`the genesis is of network ${genesis.network}, not ${network}`)
    if (genesis.params.registry !== 0) throw new Error('a registered entity keeps no registry (params.registry 0)')
  } catch (err) {
    throw new CoreError(ErrorCode.TxBadEntityGenesis, (err as Error).message, isCoreError(err) ? { cause: err.code } : {})
  }
  const count = registryCount(batch)
  batch.set(registryEntryKey(id), encodeRlp([genesisBytes, encodeString(name), account, encodeUint(height)]))
  if (name !== '') batch.set(registryNameKey(name), encodeRlp(id))
  batch.set(registryIndexKey(count), encodeRlp(id))
  batch.set(REGISTRY_COUNT_KEY, encodeRlp(encodeUint(count + 1)))
  batch.set(entitiesOfKey(account), encodeRlp(encodeUint(mine + 1)))
}
