// The node as the HTTP API sees it (api/node-api.ts): read views of the chain, state, peers and
// mempool, and the few writes an operator makes (submit a transaction, connect or ban a peer). Bytes
// leave as hex; every error an API caller can cause is an ApiError with its HTTP status.

import type { EventEmitter } from 'node:events'
import {
  type AccountSigner,
  type Bytes,
  type EntityMachine,
  type Genesis,
  type Server,
  type ValidatorSigner,
  type Tip,
  CoreError,
  ErrorCode,
  TX_KINDS,
  decodeAction,
  decodeBlock,
  encodeStateProof,
  encodeTx,
  equals,
  fromHex,
  fromUtf8,
  kvKeyFromPath,
  registryCount,
  registryEntry,
  registryEntryKey,
  type RegistryEntry,
  registryIds,
  toHex,
  txHash,
  utf8,
} from '@p2pnode/core'
import { peerIdFromString } from '@libp2p/peer-id'
import type { LoadedHome } from './home/home.ts'
import type { Network } from './network/network.ts'
import { NetworkErrorCode, isNetworkError } from './network/errors.ts'
import type { ConsensusLoop } from './consensus/loop.ts'
import type { Syncer } from './sync/syncer.ts'
import type { TxBatches } from './gossip/tx-batches.ts'
import { ApiErrorCode } from './api/errors.ts'
import {
  ApiError,
  type BanOptions,
  type BanView,
  type BlockView,
  type EntityView,
  type KvView,
  type NodeApi,
  type PeerView,
  type HostedEntityView,
  type ProposalView,
  type RegistryEntryProofView,
  type RegistryEntryView,
  type RegistryListView,
  type StatusView,
  type SubmitResult,
  type TxStatusView,
  DEFAULT_BAN_REASON,
} from './api/node-api.ts'
import { verdictFor } from './gossip/verdicts.ts'
import { type HostedEntity, entityIdOf, hostedViews, scopeOf, submitToHosts } from './hosted.ts'
import { blockView, jsonAction, registryView, text } from './api/views.ts'

export const NODE_VERSION = '0.1.0'
const MAX_REMEMBERED_REJECTIONS = 10_000

export interface NodeApiParts {
  home: LoadedHome
  /** Every entity the node hosts, the root first. */
  hosted: () => readonly HostedEntity[]
  /** Hosts an entity from its genesis (node.ts); resolves once it runs. */
  join: (genesis: Genesis) => Promise<void>
  /** Stops hosting a joined entity; throws for the root or one not hosted. */
  leave: (id: Bytes) => Promise<void>
  server: Server
  entity: EntityMachine
  /** The head as it is on disk: what every read answers from. */
  durable: () => Tip
  network: Network
  consensus: ConsensusLoop
  syncer: Syncer
  txs: TxBatches
  account: AccountSigner
  validator: ValidatorSigner
  events: EventEmitter
  /** Why consensus stopped for good, if it did. */
  fatal?: () => Error | undefined
}

/**
 * The peer id as libp2p prints it (base58btc), which is how the ban list and the connection
 * gater key peers: a CID form of the same id must ban the same peer.
 */
function canonicalPeerId(peerId: string): string {
  try {
    return peerIdFromString(peerId).toString()
  } catch (err) {
    throw new ApiError(400, ApiErrorCode.BadPeerId, `${peerId} is not a peer id: ${(err as Error).message}`)
  }
}

/** HTTP status for a transaction the node refused. */
function refusal(code: string, message: string): ApiError {
  if (code === 'MEMPOOL_FULL' || code === 'MEMPOOL_SENDER_FULL') return new ApiError(429, code, message)
  if (code === 'MEMPOOL_DUPLICATE' || code === 'MEMPOOL_ALREADY_COMMITTED' || code === 'TX_NONCE_TOO_LOW') return new ApiError(409, code, message)
  return new ApiError(400, code, message)
}

export class NodeApiImpl implements NodeApi {
  readonly events: EventEmitter
  private readonly rejected = new Map<string, { code: string; message: string }>()

  constructor(private readonly p: NodeApiParts) {
    this.events = p.events
  }

  private validatorIndex(): number {
    return this.p.durable().state.validators().findIndex((v) => equals(v.publicKey, this.p.validator.publicKey))
  }

  status(): StatusView {
    const { entity, network, syncer, home } = this.p
    const tip = this.p.durable()
    const index = this.validatorIndex()
    return {
      peerId: network.peerId,
      network: home.config.network,
      entity: toHex(entity.id),
      height: tip.height,
      headHash: toHex(tip.hash),
      stateRoot: toHex(tip.state.root()),
      headTime: tip.time,
      syncing: syncer.syncing,
      round: this.p.consensus.round,
      step: this.p.consensus.step,
      bestPeerHeight: Math.max(syncer.bestHeight, tip.height),
      servesFrom: entity.chainStore.firstKept,
      syncBlocked: syncer.blockedBy() ?? null,
      peers: network.peers().length,
      validator: index >= 0,
      validatorIndex: index,
      mempool: { size: entity.mempool.size, bytes: entity.mempool.bytes },
      listen: network.addresses(),
      validatorPublicKey: toHex(this.p.validator.publicKey),
      accountAddress: toHex(this.p.account.address),
      version: NODE_VERSION,
      entities: this.p.hosted().map((h, i) => ({
        id: toHex(h.entity.id),
        name: i === 0 ? 'root' : (registryEntry(tip.state, h.entity.id)?.name ?? ''),
        height: h.durable().height,
        role: h.isValidator() ? ('validator' as const) : ('follower' as const),
        syncing: h.syncer.syncing,
      })),
    }
  }

  health(): { status: 'ok' | 'syncing' | 'down'; reason?: string } {
    const { syncer, network } = this.p
    const failure = this.p.server.failure ?? this.p.fatal?.()
    if (failure) return { status: 'down', reason: `stopped: ${failure.message}` }
    if (syncer.syncing) return { status: 'syncing', reason: `at ${this.p.durable().height} of ${syncer.bestHeight}` }
    const blocked = syncer.blockedBy()
    if (blocked) return { status: 'down', reason: `behind at ${this.p.durable().height} of ${syncer.bestHeight}, and every peer ahead pruned height ${blocked.need} (they serve from ${blocked.peersServeFrom})` }
    if (network.peers().length === 0 && this.p.durable().state.validators().length > 1) return { status: 'down', reason: 'no peers' }
    return { status: 'ok' }
  }

  peers(): PeerView[] {
    return this.p.network.peers().map((p) => ({
      peerId: p.peerId,
      addr: p.addr,
      direction: p.direction,
      connectedSince: p.connectedSince,
      latencyMs: p.latencyMs ?? null,
      agent: p.agent ?? null,
      score: p.score,
    }))
  }

  async connect(multiaddr: string): Promise<{ peerId: string }> {
    try {
      return { peerId: await this.p.network.connect(multiaddr) }
    } catch (err) {
      // a banned peer is the node's own refusal, not a failed dial
      if (isNetworkError(err, NetworkErrorCode.PeerBanned)) throw new ApiError(409, ApiErrorCode.PeerBanned, `${String(err.data['peerId'])} is banned; unban it first`)
      throw new ApiError(400, 'CONNECT_FAILED', `cannot connect to ${multiaddr}: ${(err as Error).message}`)
    }
  }

  async disconnect(peerId: string): Promise<void> {
    if (!this.p.network.peers().some((p) => p.peerId === peerId)) throw new ApiError(404, 'PEER_NOT_CONNECTED', `not connected to ${peerId}`)
    await this.p.network.disconnect(peerId)
  }

  bans(): BanView[] {
    return this.p.network.banned().map(({ peerId, until, reason }) => ({ peerId, until, reason }))
  }

  async ban(peerId: string, options: BanOptions): Promise<BanView> {
    const { network } = this.p
    const id = canonicalPeerId(peerId)
    if (id === network.peerId) throw new ApiError(400, ApiErrorCode.CannotBanSelf, 'a node cannot ban its own peer id')
    const minutes = options.minutes ?? network.config.banMinutes
    const { until, reason } = await network.ban(id, options.reason ?? DEFAULT_BAN_REASON, minutes * 60_000)
    return { peerId: id, until, reason }
  }

  unban(peerId: string): void {
    const id = canonicalPeerId(peerId)
    if (!this.p.network.unban(id)) throw new ApiError(404, ApiErrorCode.BanNotFound, `${id} is not banned`)
  }

  async block(id: number | string, entity?: string): Promise<BlockView | null> {
    const chain = this.scope(entity).entity.chainStore
    const height = typeof id === 'number' ? id : undefined
    if (height !== undefined && height >= 1 && height < chain.firstKept) {
      throw new ApiError(410, ApiErrorCode.BlockPruned, `block ${height} was pruned; this node keeps blocks from ${chain.firstKept} (storage.keepBlocks)`)
    }
    const bytes = height !== undefined ? await chain.loadBlockAt(height) : await chain.loadBlock(fromHex(id as string))
    if (!bytes) return null
    return blockView(bytes, await chain.loadCommit(decodeBlock(bytes).header.height))
  }

  async blocks(from: number, to: number, entity?: string): Promise<BlockView[]> {
    const out: BlockView[] = []
    const s = this.scope(entity)
    const last = Math.min(to, s.durable().height, from + 99)
    // the pruned part of the range is left out, as heights past the head are
    for (let h = Math.max(1, from, s.entity.chainStore.firstKept); h <= last; h++) {
      const view = await this.block(h, entity)
      if (view) out.push(view)
    }
    return out
  }

  private remember(hash: string, code: string, message: string): void {
    this.rejected.set(hash, { code, message })
    if (this.rejected.size > MAX_REMEMBERED_REJECTIONS) this.rejected.delete(this.rejected.keys().next().value as string)
  }

  async submitTransaction(hex: string): Promise<{ hash: string }> {
    const [result] = await this.submitTransactions([hex])
    if (result && 'error' in result) throw refusal(result.error.code, result.error.message)
    return result as { hash: string }
  }

  async submitTransactions(hexes: string[]): Promise<SubmitResult[]> {
    const encoded = hexes.map(fromHex)
    const results = await submitToHosts(this.p.hosted(), encoded)
    return results.map((result, i) => {
      const hash = toHex(txHash(encoded[i]!))
      if (!('code' in result)) return { hash }
      const message = `transaction refused: ${result.code}`
      if (verdictFor(result.code) === 'reject') this.remember(hash, result.code, message)
      this.p.events.emit('event', { type: 'rejected', source: 'api', code: result.code })
      return { error: { code: result.code, message } }
    })
  }

  async submitUnsigned(kind: string, payloadHex: string, scope?: string): Promise<{ hash: string; nonce: number }> {
    if (!TX_KINDS.includes(kind)) throw new ApiError(400, 'TX_UNKNOWN_KIND', `unknown transaction kind ${kind}`)
    const { account } = this.p
    const { entity } = this.scope(scope)
    // The next nonce: the account's state nonce plus what it already has waiting in the mempool.
    let nonce = entity.tip.state.nonce(account.address)
    while (entity.mempool.hasNonce(account.address, nonce)) nonce++
    const tx = account.signTransaction({ network: entity.chain.network, entity: entity.id, nonce, kind: kind as never, payload: fromHex(payloadHex) })
    const { hash } = await this.submitTransaction(toHex(encodeTx(tx)))
    return { hash, nonce }
  }

  async transactionStatus(hash: string, scope?: string): Promise<TxStatusView> {
    const bytes = fromHex(hash)
    const { entity } = this.scope(scope)
    const location = await entity.chainStore.loadTxLocation(bytes)
    if (location) return { hash, status: 'committed', height: location.height, index: location.index }
    if (entity.mempool.has(bytes)) return { hash, status: 'pending' }
    const rejected = this.rejected.get(hash)
    if (rejected) return { hash, status: 'rejected', ...rejected }
    const failed = entity.rejection(bytes)
    if (failed) return { hash, status: 'rejected', code: failed, message: `left out of a block: ${failed}` }
    return { hash, status: 'unknown' }
  }

  async kvGet(key: string, prove: boolean, entity?: string): Promise<KvView> {
    if (!/^[0-9a-f]{40}\/.+/.test(key)) throw new ApiError(400, 'BAD_KEY', 'a key is <account hex (40)>/<key>')
    const tip = this.scope(entity).durable()
    const stateKey = kvKeyFromPath(key)
    const value = tip.state.get(stateKey) ?? null
    const view: KvView = { key, value: value ? toHex(value) : null, text: value ? text(value) : null, height: tip.height, stateRoot: toHex(tip.state.root()) }
    if (prove) view.proof = toHex(encodeStateProof(tip.state.tree.prove(stateKey)))
    return view
  }

  async kvKeys(prefix: string, limit: number, entity?: string): Promise<string[]> {
    const out: string[] = []
    for await (const [key] of this.scope(entity).entity.chainStore.iterateState(utf8(`kv/${prefix}`))) {
      out.push(fromUtf8(key).slice('kv/'.length))
      if (out.length >= limit) break
    }
    return out
  }

  entity(scope?: string): EntityView {
    const s = this.scope(scope)
    const { entity } = s
    const head = s.durable()
    const state = head.state
    const view = (v: { publicKey: Bytes; account: Bytes; shares: number }) => ({ publicKey: toHex(v.publicKey), account: toHex(v.account), shares: v.shares })
    const pending = state.pending()
    return {
      entity: toHex(entity.id),
      height: head.height,
      counter: state.counter(),
      threshold: state.threshold(),
      validators: state.validators().map(view),
      pending: pending ? { activateAt: pending.activateAt, validators: pending.validators.map(view) } : null,
      params: state.params(),
    }
  }

  async entities(): Promise<HostedEntityView[]> {
    const { network } = this.p
    return hostedViews(this.p.hosted(), this.p.durable().state, (id) => network.topicPeers(network.topics(id).vote).length)
  }

  async joinEntity(idOrName: string): Promise<HostedEntityView> {
    const entry = this.registered(idOrName)
    await this.p.join(entry.genesis)
    return (await this.entities()).find((e) => e.id === toHex(entry.id))!
  }

  async leaveEntity(idOrName: string): Promise<void> {
    const hosted = this.p.hosted()
    const asId = entityIdOf(this.p.durable().state, idOrName)
    const at = asId ? hosted.findIndex((h) => equals(h.entity.id, asId)) : -1
    if (at < 0) throw new ApiError(404, ApiErrorCode.EntityNotHosted, `this node does not host ${idOrName}`)
    if (at === 0) throw new ApiError(409, ApiErrorCode.EntityRoot, 'the root entity cannot be left: every node follows it')
    await this.p.leave(hosted[at]!.entity.id)
  }

  private scope(entity?: string): HostedEntity {
    return scopeOf(this.p.hosted(), this.p.durable().state, entity)
  }

  /** The registry entry of an entity named by id or name; 404 when none is registered under it. */
  private registered(idOrName: string, tip = this.p.durable()): RegistryEntry {
    const id = entityIdOf(tip.state, idOrName)
    const entry = id && registryEntry(tip.state, id)
    if (!entry) throw new ApiError(404, ApiErrorCode.EntityUnknown, `no entity ${idOrName} is registered (at root height ${tip.height})`)
    return entry
  }

  registry(from: number, limit: number): RegistryListView {
    const state = this.p.durable().state
    const entities = registryIds(state, from, limit).flatMap((id) => {
      const entry = registryEntry(state, id)
      return entry ? [registryView(entry)] : []
    })
    return { count: registryCount(state), entities }
  }

  registryEntry(idOrName: string, prove: boolean): RegistryEntryProofView {
    const tip = this.p.durable() // one tip: the entry and its proof are read at the same height
    const entry = this.registered(idOrName, tip)
    const view: RegistryEntryProofView = { entry: registryView(entry), height: tip.height, stateRoot: toHex(tip.state.root()) }
    if (prove) view.proof = toHex(encodeStateProof(tip.state.tree.prove(registryEntryKey(entry.id))))
    return view
  }

  async proposals(scope?: string): Promise<ProposalView[]> {
    const out: ProposalView[] = []
    const s = this.scope(scope)
    const state = s.durable().state
    for await (const [key] of s.entity.chainStore.iterateState(utf8('proposal/'))) {
      const id = fromHex(fromUtf8(key).slice('proposal/'.length))
      const p = state.proposal(id)
      if (!p) continue
      let action: unknown
      try {
        action = jsonAction(decodeAction(p.action))
      } catch (err) {
        action = { error: err instanceof CoreError ? err.code : 'undecodable' }
      }
      out.push({ id: toHex(id), action, creator: toHex(p.creator), shares: p.shares, expiresAt: p.expiresAt, voters: p.voters.map(toHex) })
    }
    return out
  }
}
