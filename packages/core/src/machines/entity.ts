// The entity machine as one node hosts it: the chain tip with its state, and the mempool. It
// takes transactions and committed blocks (block + quorum certificate), validates them through
// validation/, and hands back the storage operations of each committed block, so that the server
// can write them in the same atomic batch as the frame that carried the block.

import { type Bytes, equals, toHex } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode } from '../errors.ts'
import { blockHash, decodeBlock, decodeCommit, encodeBlock, encodeCommit } from '../codec/objects.ts'
import { encodeRlp, encodeUint } from '../codec/rlp.ts'
import { StateTree } from '../state/tree.ts'
import type { BatchOp, KeyValueStore } from '../storage/interface.ts'
import { ChainStore, type CommittedBlock } from '../storage/chain-store.ts'
import type { Commit } from '../types/chain.ts'
import { type ChainId, type ExecutedBlock, type Tip, checkProposer, checkTime, decodeBoundBlock, validateBlock } from '../validation/block.ts'
import { type BuiltBlock, buildBlock } from '../validation/build.ts'
import { verifyCommit } from '../validation/commit.ts'
import { type Admitted, Mempool, type MempoolConfig } from '../mempool/mempool.ts'
import { RecentSet } from '../mempool/recent.ts'
import { EntityState } from './entity-state.ts'
import { type Genesis, genesisId, genesisState } from './genesis.ts'

const VERIFIED_CACHE = 200_000
const MAX_REJECTIONS = 10_000

export interface AppliedBlock {
  height: number
  hash: Bytes
  txHashes: Bytes[]
  /** What to write, atomically, to make this block durable. */
  ops: BatchOp[]
}

/** Where a proposed block is validated: at which consensus round, and this node's clock. */
export interface ProposedAt {
  /** The round the block is proposed at; its header's proposer must be scheduled by then. */
  round: number
  /** Milliseconds since the epoch, from the node's clock (core reads none). */
  now: number
}

export class EntityMachine {
  readonly id: Bytes
  readonly chain: ChainId
  readonly mempool: Mempool
  private current: Tip
  private readonly store: ChainStore
  /** Hashes of transactions whose signatures this node checked, so blocks do not check them again. */
  private readonly verified = new RecentSet(VERIFIED_CACHE)
  /** Blocks already executed against the current tip, by hash: a commit then costs no execution. */
  private executed = new Map<string, ExecutedBlock>()
  /** Transactions dropped because their execution failed when this node built a block: hash -> code. */
  private readonly rejections = new Map<string, string>()
  private admittedListener: (() => void) | undefined

  private constructor(genesis: Genesis, tip: Tip, store: ChainStore, mempool?: Partial<MempoolConfig>) {
    this.id = genesisId(genesis)
    this.chain = { network: genesis.network, entity: this.id }
    this.current = tip
    this.store = store
    this.mempool = new Mempool(this.chain, mempool)
  }

  /**
   * Opens the entity's chain in `kv`: from its stored head if there is one (state reloaded and its
   * root checked against the head), otherwise from genesis, whose writes are returned as `ops`
   * for the caller to persist.
   */
  static async open(
    genesis: Genesis,
    kv: KeyValueStore,
    mempool?: Partial<MempoolConfig>,
  ): Promise<{ entity: EntityMachine; ops: BatchOp[] }> {
    const id = genesisId(genesis)
    const store = new ChainStore(kv, id)
    await store.loadFirstKept()
    const head = await store.loadHead()
    if (head === undefined) {
      const { state, writes } = genesisState(genesis)
      const tip: Tip = { height: 0, hash: id, time: genesis.time, state }
      return { entity: new EntityMachine(genesis, tip, store, mempool), ops: store.genesisOps(state.root(), writes) }
    }
    const entries: Array<[Bytes, Bytes]> = []
    for await (const entry of store.iterateState()) entries.push(entry)
    const state = new EntityState(StateTree.fromEntries(entries))
    if (!equals(state.root(), head.stateRoot)) {
      throw new CoreError(ErrorCode.StorageCorrupt, `stored state does not match the head's state root at ${head.height}`)
    }
    let time = genesis.time
    if (head.height > 0) {
      const block = await store.loadBlock(head.blockHash)
      if (block === undefined) throw new CoreError(ErrorCode.StorageCorrupt, `head block ${head.height} is missing`)
      time = decodeBlock(block).header.time
    }
    const tip: Tip = { height: head.height, hash: head.blockHash, time, state }
    return { entity: new EntityMachine(genesis, tip, store, mempool), ops: [] }
  }

  get tip(): Tip {
    return this.current
  }

  get chainStore(): ChainStore {
    return this.store
  }

  /** Commits to the entity as this node holds it: its height, head and state. */
  root(): Bytes {
    const t = this.current
    return sha256(encodeRlp([encodeUint(t.height), t.hash, t.state.root()]))
  }

  /** The code a transaction failed with when this node left it out of a block it built, if it did. */
  rejection(hash: Bytes): string | undefined {
    return this.rejections.get(toHex(hash))
  }

  addTransaction(encoded: Bytes): Admitted {
    const admitted = this.mempool.add(encoded, this.current.state, this.current.height)
    this.verified.add(toHex(admitted.hash))
    this.admittedListener?.()
    return admitted
  }

  /** Called after each transaction the mempool admits: the consensus loop wakes an idle height. */
  onAdmitted(listener: (() => void) | undefined): void {
    this.admittedListener = listener
  }

  /** Whether the next block would carry a transaction (Mempool.hasReady). */
  hasWork(): boolean {
    return this.mempool.hasReady(this.current.state)
  }

  private isVerified = (hash: Bytes): boolean => this.verified.has(toHex(hash))

  /**
   * Validates a proposed block for the next height (all stages but the commit, which a proposal
   * does not have yet) and keeps the result for the commit. Throws a CoreError when invalid.
   * `round` is the consensus round the block is proposed at (the ValidateBlock effect's): the
   * header's proposer must be scheduled by then. `now` is this node's clock: the block's time may
   * not be more than MAX_CLOCK_DRIFT_MS ahead of it.
   */
  validateProposed(blockBytes: Bytes, at: ProposedAt): ExecutedBlock {
    const block = decodeBlock(blockBytes)
    // The cheap header rules first, and before the cache: they depend on the round and the clock.
    checkTime(block.header, at.now)
    checkProposer(block.header, this.current.state.validators(), at.round)
    const hash = toHex(blockHash(block.header))
    const known = this.executed.get(hash)
    if (known) return known
    const executed = validateBlock(block, this.current, this.chain, { encodedSize: blockBytes.length, verified: this.isVerified })
    this.executed.set(hash, executed)
    return executed
  }

  /** Builds the next block from the mempool, for this node as proposer (validator `proposer`). */
  propose(time: number, proposer: number): BuiltBlock {
    const params = this.current.state.params()
    const candidates = this.mempool.reap(this.current.state, { maxTxs: params.maxBlockTxs, maxBytes: params.maxBlockBytes })
    const built = buildBlock({ tip: this.current, chain: this.chain, time, proposer, candidates })
    this.executed.set(toHex(built.hash), built)
    // A transaction that fails against the tip would fail again (its nonce waits for it): it
    // leaves the pool, and the code stays known for a status query.
    for (const { hash, code } of built.rejected) {
      this.mempool.drop(hash)
      this.rejections.set(toHex(hash), code)
      if (this.rejections.size > MAX_REJECTIONS) this.rejections.delete(this.rejections.keys().next().value as string)
    }
    return built
  }

  /**
   * Verifies a committed block (the certificate first: it is one aggregate check and rules out
   * most forgeries before any execution) and makes it the new tip.
   */
  applyCommitted(blockBytes: Bytes, commitBytes: Bytes): AppliedBlock {
    // the commit and the executed-block cache both go by the header's hash: the body is checked first
    const { block, hash } = decodeBoundBlock(blockBytes)
    const commit = decodeCommit(commitBytes)
    const state = this.current.state
    const validators = state.validators()
    verifyCommit(commit, { ...this.chain, height: this.current.height + 1, blockHash: hash, validators, threshold: state.threshold() })
    // No clock check: the certificate shows that honest validators checked the time when it was
    // proposed, and a node applying it later (sync, restart) must reach the same verdict.
    checkProposer(block.header, validators, commit.round)
    const executed =
      this.executed.get(toHex(hash)) ??
      validateBlock(block, this.current, this.chain, { encodedSize: blockBytes.length, verified: this.isVerified })
    return this.advance(executed, blockBytes, commitBytes)
  }

  /** Makes a block this node executed itself (as proposer or validator) the tip, with its commit. */
  applyExecuted(executed: ExecutedBlock, commit: Commit): AppliedBlock {
    if (executed.block.header.height !== this.current.height + 1 || !equals(executed.block.header.parentHash, this.current.hash)) {
      throw new CoreError(ErrorCode.BlockParentUnknown, 'executed block does not extend the tip')
    }
    checkProposer(executed.block.header, this.current.state.validators(), commit.round)
    return this.advance(executed, encodeBlock(executed.block), encodeCommit(commit))
  }

  private advance(executed: ExecutedBlock, blockBytes: Bytes, commitBytes: Bytes): AppliedBlock {
    const height = executed.block.header.height
    const record: CommittedBlock = {
      height,
      blockHash: executed.hash,
      block: blockBytes,
      commit: commitBytes,
      stateRoot: executed.state.root(),
      stateWrites: executed.writes,
      txHashes: executed.txHashes,
    }
    this.current = { height, hash: executed.hash, time: executed.block.header.time, state: executed.state }
    this.executed = new Map()
    this.mempool.update(executed.txHashes, executed.state, height)
    return { height, hash: executed.hash, txHashes: executed.txHashes, ops: this.store.blockOps(record) }
  }
}
