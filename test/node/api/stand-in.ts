// An in-memory NodeApi for the API's own tests: the unit under test is the HTTP layer (auth,
// limits, validation, error mapping, serialisation), so the node behind it only has to hold a
// few blocks and answer. Knobs let a test make it throw.

import { EventEmitter } from 'node:events'
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
} from '../../../packages/node/src/api/node-api.ts'
import { DEFAULT_PARAMS } from '../../../packages/core/src/machines/entity-params.ts'

export const ACCOUNT = 'ab'.repeat(20)

function hashOf(height: number): string {
  return height.toString(16).padStart(64, '0')
}

export function makeBlock(height: number): BlockView {
  return {
    height,
    hash: hashOf(height + 1000),
    parentHash: hashOf(height + 999),
    time: 1_700_000_000_000 + height * 100,
    proposer: height % 4,
    stateRoot: 'cd'.repeat(32),
    txsHash: 'ef'.repeat(32),
    validatorsHash: '12'.repeat(32),
    txs: [],
    commit: height === 0 ? null : { round: 0, signers: [0, 1, 2], signature: '34'.repeat(96) },
  }
}

export class StandInNode implements NodeApi {
  readonly events = new EventEmitter()
  readonly chain: BlockView[] = Array.from({ length: 5 }, (_, h) => makeBlock(h))
  readonly submitted: string[] = []
  readonly connected: string[] = []
  readonly disconnected: string[] = []
  readonly banList = new Map<string, BanView>()
  readonly kv = new Map<string, string>([[`${ACCOUNT}/greeting`, Buffer.from('hello').toString('hex')]])
  healthNow: ReturnType<NodeApi['health']> = { status: 'ok' }
  /** Thrown by submitTransaction and status when set. */
  failWith: Error | null = null
  lastKvGet: { key: string; prove: boolean } | null = null
  /** The registry the stand-in answers from (tests add entries). */
  readonly registered: RegistryEntryView[] = []
  lastBlocks: { from: number; to: number } | null = null

  status(): StatusView {
    if (this.failWith !== null) throw this.failWith
    const head = this.chain[this.chain.length - 1] as BlockView
    return {
      peerId: '12D3KooWStandIn',
      network: 'test',
      entity: 'aa'.repeat(32),
      height: head.height,
      headHash: head.hash,
      stateRoot: head.stateRoot,
      headTime: head.time,
      syncing: this.healthNow.status === 'syncing',
      round: 0,
      step: 'propose',
      bestPeerHeight: head.height,
      servesFrom: 1,
      syncBlocked: null,
      peers: 1,
      validator: true,
      validatorIndex: 0,
      mempool: { size: this.submitted.length, bytes: this.submitted.join('').length / 2 },
      listen: ['/ip4/127.0.0.1/tcp/4001'],
      validatorPublicKey: 'bb'.repeat(48),
      accountAddress: ACCOUNT,
      version: '0.1.0',
      entities: [{ id: 'aa'.repeat(32), name: 'root', height: 4, role: 'validator', syncing: false }],
    }
  }

  health(): ReturnType<NodeApi['health']> {
    return this.healthNow
  }

  peers(): PeerView[] {
    return [{ peerId: '12D3KooWPeerA', addr: '/ip4/127.0.0.1/tcp/4002', direction: 'outbound', connectedSince: 1_700_000_000_000, latencyMs: 3, agent: 'p2pnode/0.1.0', score: 1.5 }]
  }

  async connect(multiaddr: string): Promise<{ peerId: string }> {
    this.connected.push(multiaddr)
    return { peerId: multiaddr.split('/p2p/')[1] ?? '12D3KooWDialed' }
  }

  async disconnect(peerId: string): Promise<void> {
    if (peerId === 'unknownPeer') throw new ApiError(404, 'PEER_NOT_FOUND', 'not connected to unknownPeer')
    this.disconnected.push(peerId)
  }

  bans(): BanView[] {
    return [...this.banList.values()]
  }

  async ban(peerId: string, options: BanOptions): Promise<BanView> {
    if (peerId === '12D3KooWStandIn') throw new ApiError(400, 'CANNOT_BAN_SELF', 'a node cannot ban its own peer id')
    const ban = { peerId, until: 1_700_000_000_000 + (options.minutes ?? 30) * 60_000, reason: options.reason ?? 'banned by operator' }
    this.banList.set(peerId, ban)
    return ban
  }

  unban(peerId: string): void {
    if (!this.banList.delete(peerId)) throw new ApiError(404, 'BAN_NOT_FOUND', `${peerId} is not banned`)
  }

  async block(id: number | string): Promise<BlockView | null> {
    return this.chain.find((b) => b.height === id || b.hash === id) ?? null
  }

  async blocks(from: number, to: number): Promise<BlockView[]> {
    this.lastBlocks = { from, to }
    return this.chain.filter((b) => b.height >= from && b.height <= to)
  }

  async submitTransaction(hex: string): Promise<{ hash: string }> {
    if (this.failWith !== null) throw this.failWith
    if (this.submitted.includes(hex)) throw new ApiError(409, 'MEMPOOL_DUPLICATE', 'already in the mempool')
    this.submitted.push(hex)
    return { hash: hashOf(this.submitted.length) }
  }

  async submitTransactions(hexes: string[]): Promise<SubmitResult[]> {
    const out: SubmitResult[] = []
    for (const hex of hexes) {
      try {
        out.push(await this.submitTransaction(hex))
      } catch (err) {
        const e = err as ApiError
        out.push({ error: { code: e.code, message: e.message } })
      }
    }
    return out
  }

  async submitUnsigned(kind: string, payloadHex: string): Promise<{ hash: string; nonce: number }> {
    this.submitted.push(`${kind}:${payloadHex}`)
    return { hash: hashOf(this.submitted.length), nonce: this.submitted.length - 1 }
  }

  async transactionStatus(hash: string): Promise<TxStatusView> {
    if (hash === hashOf(1)) return { hash, status: 'committed', height: 3, index: 0 }
    if (hash === hashOf(2)) return { hash, status: 'rejected', code: 'TX_NONCE_GAP', message: 'nonce gap' }
    return { hash, status: 'unknown' }
  }

  async kvGet(key: string, prove: boolean): Promise<KvView> {
    this.lastKvGet = { key, prove }
    const value = this.kv.get(key) ?? null
    const head = this.chain[this.chain.length - 1] as BlockView
    return {
      key,
      value,
      text: value === null ? null : Buffer.from(value, 'hex').toString('utf8'),
      height: head.height,
      stateRoot: head.stateRoot,
      ...(prove ? { proof: 'c0' } : {}),
    }
  }

  async kvKeys(prefix: string, limit: number): Promise<string[]> {
    return [...this.kv.keys()].filter((k) => k.startsWith(prefix)).slice(0, limit)
  }

  entity(): EntityView {
    return {
      entity: 'aa'.repeat(32),
      height: 4,
      counter: 7,
      threshold: { numerator: 2, denominator: 3 },
      validators: [{ publicKey: 'bb'.repeat(48), account: ACCOUNT, shares: 1 }],
      pending: null,
      params: { ...DEFAULT_PARAMS, proposalExpiry: 100, maxBlockBytes: 1_000_000 },
    }
  }

  async entities(): Promise<HostedEntityView[]> {
    return [{ id: 'aa'.repeat(32), name: 'root', root: true, role: 'validator', height: 4, headTime: 0, validators: 1, validatorsOnline: 1, peers: 0, syncing: false, mempool: 0 }]
  }

  async joinEntity(idOrName: string): Promise<HostedEntityView> {
    throw new ApiError(404, 'ENTITY_UNKNOWN', `no entity ${idOrName} is registered`)
  }

  async leaveEntity(idOrName: string): Promise<void> {
    throw new ApiError(404, 'ENTITY_NOT_HOSTED', `this node does not host ${idOrName}`)
  }

  registry(from: number, limit: number): RegistryListView {
    return { count: this.registered.length, entities: this.registered.slice(from, from + limit) }
  }

  registryEntry(idOrName: string, prove: boolean): RegistryEntryProofView {
    const entry = this.registered.find((e) => e.id === idOrName.toLowerCase() || e.name === idOrName)
    if (!entry) throw new ApiError(404, 'ENTITY_UNKNOWN', `no entity ${idOrName} is registered`)
    return { entry, height: 4, stateRoot: 'cc'.repeat(32), ...(prove ? { proof: 'c0' } : {}) }
  }

  async proposals(): Promise<ProposalView[]> {
    return [{ id: '99'.repeat(32), action: { type: 'kv.set', key: 'x' }, creator: ACCOUNT, shares: 1, expiresAt: 104, voters: [ACCOUNT] }]
  }
}
