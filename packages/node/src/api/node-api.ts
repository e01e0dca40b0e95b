// What the HTTP API needs from a running node. The node implements it (node.ts); the API server
// (server.ts, routes/) and its tests code against it, so routes never reach into the node's
// internals and can be tested with a stand-in. All values are JSON-ready: bytes as hex strings.

import type { EventEmitter } from 'node:events'
import type { EntityParams } from '@p2pnode/core'
import type { GenesisJson } from '../home/genesis-json.ts'

export interface StatusView {
  peerId: string
  network: string
  /** Hex id of the main entity (the genesis hash). */
  entity: string
  height: number
  headHash: string
  stateRoot: string
  /** Milliseconds since the epoch of the head block (genesis time at height 0). */
  headTime: number
  syncing: boolean
  /** Consensus round of the height being decided (0 when the first proposal commits). */
  round: number
  /** Where the round is: propose, prevote, precommit, or decided (waiting for the next height). */
  step: 'propose' | 'prevote' | 'precommit' | 'decided'
  /** Height of the best peer seen, when known. */
  bestPeerHeight: number
  /**
   * The lowest height whose block this node still has and serves to syncing peers: 1 unless it
   * pruned older blocks (storage.keepBlocks).
   */
  servesFrom: number
  /**
   * Why the node cannot catch up, when it is behind and cannot: every peer ahead pruned the
   * height it needs next (code SYNC_PEERS_PRUNED). null otherwise.
   */
  syncBlocked: { code: 'SYNC_PEERS_PRUNED'; need: number; peersServeFrom: number } | null
  peers: number
  validator: boolean
  /** This node's index in the current validator set, -1 for a follower. */
  validatorIndex: number
  mempool: { size: number; bytes: number }
  listen: string[]
  validatorPublicKey: string
  accountAddress: string
  version: string
  /** Every entity the node hosts, the root first (the fields above are the root's); `entity list` has more. */
  entities: Array<{ id: string; name: string; height: number; role: 'validator' | 'follower'; syncing: boolean }>
}

export interface PeerView {
  peerId: string
  addr: string
  direction: 'inbound' | 'outbound'
  /** Milliseconds since the epoch. */
  connectedSince: number
  latencyMs: number | null
  agent: string | null
  score: number
}

/** A peer the node refuses, in both directions, until `until` (milliseconds since the epoch). */
export interface BanView {
  peerId: string
  until: number
  reason: string
}

/** Longest ban an operator may ask for: seven years, in minutes. */
export const MAX_BAN_MINUTES = 7 * 24 * 60 * 365
export const MAX_BAN_REASON_CHARS = 200
export const DEFAULT_BAN_REASON = 'banned by operator'

export interface BanOptions {
  /** Default: the node's `p2p.banMinutes`. */
  minutes?: number
  /** Default: DEFAULT_BAN_REASON. */
  reason?: string
}

export interface TxView {
  hash: string
  nonce: number
  kind: string
  sender: string
  account: string
  payload: string
}

export interface BlockView {
  height: number
  hash: string
  parentHash: string
  time: number
  proposer: number
  stateRoot: string
  txsHash: string
  validatorsHash: string
  txs: TxView[]
  commit: { round: number; signers: number[]; signature: string } | null
}

export type TxStatusView =
  | { hash: string; status: 'pending' }
  | { hash: string; status: 'committed'; height: number; index: number }
  | { hash: string; status: 'rejected'; code: string; message: string }
  | { hash: string; status: 'unknown' }

export type SubmitResult = { hash: string } | { error: { code: string; message: string } }

/** Most transactions one batch submission may carry. */
export const MAX_SUBMIT_BATCH = 1_000

export interface KvView {
  key: string
  value: string | null
  /** Value as UTF-8 text when it is valid UTF-8. */
  text: string | null
  height: number
  stateRoot: string
  /** Hex of the encoded state proof (core's encodeStateProof), with `prove`. */
  proof?: string
}

export interface ProposalView {
  id: string
  action: unknown
  creator: string
  shares: number
  expiresAt: number
  voters: string[]
}

export interface EntityView {
  entity: string
  height: number
  counter: number
  threshold: { numerator: number; denominator: number }
  validators: Array<{ publicKey: string; account: string; shares: number }>
  pending: { activateAt: number; validators: Array<{ publicKey: string; account: string; shares: number }> } | null
  params: EntityParams
}

/** An entity this node hosts (GET /entities, `p2pnode entity list`). */
export interface HostedEntityView {
  id: string
  /** Its registered name; 'root' for the network's root entity. */
  name: string
  root: boolean
  role: 'validator' | 'follower'
  height: number
  headTime: number
  validators: number
  /** Validators whose signature is in the certificate of the head block: the ones seen online last. */
  validatorsOnline: number
  /** Peers subscribed to the entity's vote topic. */
  peers: number
  syncing: boolean
  mempool: number
}

/** One entity of the root's registry (core machines/registry.ts). */
export interface RegistryEntryView {
  id: string
  /** '' when it has none. */
  name: string
  /** The account that registered it. */
  creator: string
  /** The root height that registered it. */
  height: number
  genesis: GenesisJson
}

export interface RegistryListView {
  /** Entities registered in all. */
  count: number
  /** From index `from`, in the order they were registered. */
  entities: RegistryEntryView[]
}

/** An entity's registry entry as read at a root height, with a proof of it under `prove`. */
export interface RegistryEntryProofView {
  entry: RegistryEntryView
  height: number
  stateRoot: string
  /** Hex of the encoded state proof of the entry's key (core's encodeStateProof). */
  proof?: string
}

/** Errors the API maps to HTTP statuses: the node throws these with a code. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly status: 400 | 401 | 404 | 409 | 410 | 413 | 429 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

export type NodeEvent =
  /** `entity`: the id (hex) of the hosted entity, as on block, sync and gossip rejections. */
  | { type: 'block'; entity: string; height: number; hash: string; txs: number; time: number }
  | { type: 'peer:connect'; peerId: string; addr: string }
  | { type: 'peer:disconnect'; peerId: string }
  | { type: 'peer:banned'; peerId: string; until: number; reason: string }
  | { type: 'rejected'; source: 'gossip' | 'api' | 'sync'; code: string; from?: string; topic?: string; entity?: string }
  | { type: 'sync'; entity: string; syncing: boolean; height: number; target: number }
  /** Consensus stopped for good (a write failed): the node must be restarted. */
  | { type: 'fatal'; message: string }

/**
 * What the HTTP API asks of the node. Methods with an `entity` argument are about one hosted
 * entity, named by id (64 hex) or registered name, the root when absent (`?entity=` on the routes).
 */
export interface NodeApi {
  status(): StatusView
  /** 'ok' in sync and connected, 'syncing' while catching up, 'down' when it cannot make progress. */
  health(): { status: 'ok' | 'syncing' | 'down'; reason?: string }
  peers(): PeerView[]
  /** ApiError 400 CONNECT_FAILED when the dial fails, 409 PEER_BANNED for a banned peer. */
  connect(multiaddr: string): Promise<PeerView | { peerId: string }>
  disconnect(peerId: string): Promise<void>
  /** Peers banned now, by the operator or for misbehaviour. */
  bans(): BanView[]
  /**
   * Bans a peer (disconnecting it), replacing any ban it has; ApiError 400 BAD_PEER_ID for a
   * string that is no peer id, 400 CANNOT_BAN_SELF for the node's own.
   */
  ban(peerId: string, options: BanOptions): Promise<BanView>
  /** Lifts a ban; ApiError 404 BAN_NOT_FOUND when the peer is not banned. */
  unban(peerId: string): void
  /** By height or 64-hex hash; null when unknown. */
  block(id: number | string, entity?: string): Promise<BlockView | null>
  /** Up to `limit` blocks from `from` to `to` inclusive. */
  blocks(from: number, to: number, entity?: string): Promise<BlockView[]>
  /** Signed transaction bytes (hex). Admitted to the mempool and gossiped, or ApiError 400/409/429. */
  submitTransaction(hex: string): Promise<{ hash: string }>
  /**
   * Many signed transactions in one call (load generators, bulk imports): each is admitted or
   * refused on its own; the answer lists, in order, a hash or the refusal.
   */
  submitTransactions(hexes: string[]): Promise<SubmitResult[]>
  /** An unsigned transaction the node signs with its own account key (next nonce chosen by the node). */
  submitUnsigned(kind: string, payloadHex: string, entity?: string): Promise<{ hash: string; nonce: number }>
  transactionStatus(hash: string, entity?: string): Promise<TxStatusView>
  /** `key` is `<account hex>/<key>`. */
  kvGet(key: string, prove: boolean, entity?: string): Promise<KvView>
  kvKeys(prefix: string, limit: number, entity?: string): Promise<string[]>
  entity(entity?: string): EntityView
  /** The entities this node hosts, the root first. */
  entities(): Promise<HostedEntityView[]>
  /** Starts hosting a registered entity (by id or name), without a restart. */
  joinEntity(idOrName: string): Promise<HostedEntityView>
  /** Stops hosting an entity joined before. */
  leaveEntity(idOrName: string): Promise<void>
  /** The root's registry, from index `from`. */
  registry(from: number, limit: number): RegistryListView
  /** An entity by id (64 hex) or name; 404 when none is registered under it. */
  registryEntry(idOrName: string, prove: boolean): RegistryEntryProofView
  proposals(entity?: string): Promise<ProposalView[]>
  /** Emits 'event' with a NodeEvent. */
  events: EventEmitter
}
