// The server machine: one per node, never replicated. Every input the node receives (API
// requests, gossip, sync results, timer ticks) arrives here as RLP: a list of 32-byte machine
// keys followed by values; value i < len(keys) goes to the machine named by key i (a signer or
// an entity), the rest are the server's own transactions. `seal` closes the inputs since the last
// seal into a frame {height, previous frame hash, time, inputs, state hash} and writes it, the
// server root and every block the inputs committed in ONE atomic batch: the frames are the node's
// write-ahead log, and a crash loses at most the inputs of the frame being filled.
//
// Inputs are built by server-input.ts (the log's format) and each machine's ops applied by
// server-ops.ts; this file routes them, seals frames and restores the server from its root.

import { type Bytes, compare, fromHex, toHex } from '../bytes.ts'
import { sha256 } from '../hash.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import { type RlpItem, asBytes, asList, decodeRlp, encodeRlp, encodeUint } from '../codec/rlp.ts'
import { type ServerFrame, encodeFrame } from '../codec/objects.ts'
import { MAX_FRAME_BYTES, MAX_SERVER_INPUT_BYTES } from '../limits.ts'
import type { BatchOp, KeyValueStore } from '../storage/interface.ts'
import { frameHeightKey, frameKey, serverRootKey } from '../storage/schema.ts'
import { checkSchemaVersion } from '../storage/schema-version.ts'
import { deleteFramesBelow, reloadMempool } from './server-store.ts'
import { type Machine, type ServerOutput, applyMachineInput, applyOwnInput } from './server-ops.ts'
import { EntityMachine } from './entity.ts'
import { type Genesis, decodeGenesis, encodeGenesis, genesisId } from './genesis.ts'
import { MAX_OPEN_FRAME_BYTES, RESERVED_FRAME_BYTES, type ReceiveOptions, ServerOp, encodeServerInput, entityHostValue, entityLeaveValue, joinsAndLeaves } from './server-input.ts'
import { type ServerRoot, decodeServerRoot, encodeServerRoot } from './server-root.ts'
import type { MempoolConfig } from '../mempool/mempool.ts'
import { AccountSigner, ValidatorSigner } from './signer.ts'

export interface ServerOptions {
  /** 32 bytes naming this server; its root is stored under it. */
  id: Bytes
  store: KeyValueStore
  entities: Genesis[]
  validatorSeeds?: Bytes[]
  accountSeeds?: Bytes[]
  /** fsync each frame (default true): a frame on disk is a promise kept after power loss. */
  sync?: boolean
  /** Limits of every entity's mempool. */
  mempool?: Partial<MempoolConfig>
  /**
   * Frames kept in the log: each seal deletes the frame this many heights back, in the same
   * batch, and open() trims a longer log. 0 (the default) keeps every frame, which a replay from
   * genesis needs; recovery needs none of them (the root and the state are written with each).
   */
  keepFrames?: number
}

export class Server {
  readonly id: Bytes
  private readonly store: KeyValueStore
  private readonly sync: boolean
  private readonly keepFrames: number
  private readonly machines = new Map<string, Machine>()
  /** Entities joined at run time (host), by id hex: their encoded genesis, kept in the root. */
  private readonly joined = new Map<string, Bytes>()
  private readonly mempoolConfig: Partial<MempoolConfig> | undefined
  private counter = 0
  private height = 0
  private prevHash: Bytes | null = null
  private inputs: Bytes[] = []
  private pendingOps: BatchOp[] = []
  private dirtyListener: (() => void) | undefined
  /** The write of the last frame: writes go one after another, so frames land in height order. */
  private writing: Promise<void> = Promise.resolve()
  /** The seal that flush() callers wait for, started once the current write is done. */
  private nextSeal: Promise<unknown> | undefined
  private inputBytes = 0
  /**
   * Set when a write failed: memory is then ahead of disk, and every later frame would chain onto
   * one that is not there. The server stops (fail-stop): a restart recovers from what is on disk.
   */
  private broken: Error | undefined

  private constructor(options: ServerOptions) {
    this.id = options.id
    this.store = options.store
    this.sync = options.sync ?? true
    this.keepFrames = options.keepFrames ?? 0
    this.mempoolConfig = options.mempool
    if (!Number.isSafeInteger(this.keepFrames) || this.keepFrames < 0) throw new CoreError(ErrorCode.ServerBadInput, `keepFrames must be an integer >= 0, got ${options.keepFrames}`)
  }

  /** Opens the server over `store`: restored exactly from its root if it has one, else fresh. */
  static async open(options: ServerOptions): Promise<Server> {
    const server = new Server(options)
    await checkSchemaVersion(options.store)
    for (const genesis of options.entities) {
      const { entity, ops } = await EntityMachine.open(genesis, options.store, options.mempool)
      server.machines.set(toHex(entity.id), { kind: 'entity', m: entity })
      // A new entity's genesis is written at once: it is configuration, not an input to log.
      if (ops.length > 0) await options.store.batch(ops, { sync: server.sync })
    }
    for (const seed of options.validatorSeeds ?? []) {
      const m = new ValidatorSigner(seed)
      server.machines.set(toHex(m.id), { kind: 'validator', m })
    }
    for (const seed of options.accountSeeds ?? []) {
      const m = new AccountSigner(seed)
      server.machines.set(toHex(m.id), { kind: 'account', m })
    }
    const stored = await options.store.get(serverRootKey(options.id))
    const root = stored === undefined ? undefined : decodeServerRoot(stored)
    // the entities joined at run time, before the state hash that counts them is checked
    for (const genesis of root?.joined ?? []) await server.open(genesis)
    if (root !== undefined) server.restore(root)
    await server.trimFrames()
    await server.reloadMempools()
    return server
  }

  /** Deletes the frames older than the retained window (after keepFrames was lowered, or first set). */
  private async trimFrames(): Promise<void> {
    if (this.keepFrames > 0) await deleteFramesBelow(this.store, this.height - this.keepFrames + 1)
  }

  /** Every hosted entity's persisted mempool back in its pool (server-store.ts reloadMempool). */
  private async reloadMempools(): Promise<void> {
    for (const machine of this.machines.values()) if (machine.kind === 'entity') await reloadMempool(this.store, machine.m)
  }

  /** Opens an entity joined before a restart (its genesis from the root), without logging anything. */
  private async open(genesisBytes: Bytes): Promise<EntityMachine> {
    const { entity, ops } = await EntityMachine.open(decodeGenesis(genesisBytes), this.store, this.mempoolConfig)
    const key = toHex(entity.id)
    const again = this.machines.get(key)
    if (again?.kind === 'entity') return again.m // opened meanwhile
    if (again) throw new CoreError(ErrorCode.ServerBadInput, `entity ${key.slice(0, 16)} has the id of a signer`)
    this.machines.set(key, { kind: 'entity', m: entity })
    this.joined.set(key, genesisBytes)
    this.pendingOps.push(...ops)
    return entity
  }

  /**
   * Starts hosting an entity at run time: opens it (from its genesis, or from what the store kept
   * of it since it was last hosted) and logs `entity.host` in the open frame, whose root lists it
   * from then on. Until that frame is on disk a crash forgets the join, never half of it.
   */
  async host(genesis: Genesis): Promise<EntityMachine> {
    if (this.broken) throw this.broken
    const known = this.entity(genesisId(genesis))
    if (known) return known
    const bytes = encodeGenesis(genesis)
    const entity = await this.open(bytes)
    this.logOwn(entityHostValue(bytes))
    return entity
  }

  /** Stops hosting an entity joined with host(); its chain stays in the store. */
  leave(id: Bytes): void {
    if (this.broken) throw this.broken
    const key = toHex(id)
    if (!this.joined.has(key)) throw new CoreError(ErrorCode.ServerUnknownMachine, `entity ${key.slice(0, 16)} was not joined (the configured ones stay)`)
    this.machines.delete(key)
    this.joined.delete(key)
    this.logOwn(entityLeaveValue(id))
  }

  /** Logs a join or leave: in the reserved headroom, so a full frame cannot leave it unlogged. */
  private logOwn(value: RlpItem): void {
    const out = this.receive(encodeServerInput([], [value]), { reserved: true })
    if (out.length > 0) throw new CoreError(ErrorCode.ServerBusy, `a join or leave could not be logged: ${JSON.stringify(out[0])}`)
  }

  /** Whether `id` is an entity joined at run time (not one the node was configured with). */
  isJoined(id: Bytes): boolean {
    return this.joined.has(toHex(id))
  }

  /**
   * Replays a logged input into this server (a replay of the frames from genesis): the joins and
   * leaves it carries open and drop their entities first, as host() and leave() did when it was
   * logged, then it is received as it was.
   */
  async replay(input: Bytes): Promise<ServerOutput[]> {
    for (const { op, arg } of joinsAndLeaves(input)) {
      if (op === ServerOp.EntityHost) await this.open(arg)
      else if (this.joined.delete(toHex(arg))) this.machines.delete(toHex(arg))
    }
    return this.receive(input)
  }

  /**
   * Resolves when every input received so far is on disk. Group commit: callers that arrive while
   * a frame is being written share the one frame sealed after it, so a burst of API submissions
   * costs a few fsyncs, not one each, and a validator's vote never waits behind a queue of them.
   */
  async flush(time: number): Promise<void> {
    if (this.broken) throw this.broken
    if (!this.dirty) {
      await this.writing
      if (this.broken) throw this.broken
      return
    }
    this.nextSeal ??= this.writing.then(() => {
      this.nextSeal = undefined
      return this.seal(time)
    })
    await this.nextSeal
  }

  /** The write failure that stopped this server (fail-stop), if one did. */
  get failure(): Error | undefined {
    return this.broken
  }

  /** Whether anything waits to be sealed. */
  get dirty(): boolean {
    return this.inputs.length > 0 || this.pendingOps.length > 0
  }

  get frameHeight(): number {
    return this.height
  }

  get ownCounter(): number {
    return this.counter
  }

  /** Ids of the entities this server hosts, in the order they were given. */
  entityIds(): Bytes[] {
    return [...this.machines.values()].flatMap((m) => (m.kind === 'entity' ? [m.m.id] : []))
  }

  entity(id: Bytes): EntityMachine | undefined {
    const machine = this.machines.get(toHex(id))
    return machine?.kind === 'entity' ? machine.m : undefined
  }

  validator(id: Bytes): ValidatorSigner | undefined {
    const machine = this.machines.get(toHex(id))
    return machine?.kind === 'validator' ? machine.m : undefined
  }

  account(id: Bytes): AccountSigner | undefined {
    const machine = this.machines.get(toHex(id))
    return machine?.kind === 'account' ? machine.m : undefined
  }

  /**
   * Takes one input. Malformed inputs are refused whole (and not logged); a well-formed input is
   * logged in the next frame unless all it did was be refused without changing anything (a
   * duplicate transaction, say: replaying it would change nothing either, and peers could
   * otherwise grow the log at will). While the open frame is full, inputs are refused
   * (SERVER_BUSY) until it is written: back-pressure instead of a frame too large to write.
   * `reserved` inputs (see RESERVED_FRAME_BYTES) are refused only past the reserve as well.
   */
  receive(input: Bytes, options: ReceiveOptions = {}): ServerOutput[] {
    if (this.broken) throw this.broken
    const wasDirty = this.dirty
    const out = this.take(input, options)
    if (!wasDirty && this.dirty) this.dirtyListener?.()
    return out
  }

  /**
   * Called when the server goes from nothing to seal to something: whoever seals frames on a
   * timer arms it then, instead of waking on an interval while nothing arrives.
   */
  onDirty(listener: () => void): void {
    this.dirtyListener = listener
  }

  private take(input: Bytes, options: ReceiveOptions): ServerOutput[] {
    const limit = MAX_OPEN_FRAME_BYTES + (options.reserved === true ? RESERVED_FRAME_BYTES : 0)
    if (this.inputBytes + input.length > limit) {
      return [{ type: 'input.rejected', code: ErrorCode.ServerBusy, message: 'the open frame is full; try again shortly' }]
    }
    let routed: Array<[Machine, RlpItem]>
    let own: RlpItem[]
    try {
      ;({ routed, own } = this.route(decodeRlp(input, MAX_SERVER_INPUT_BYTES, 'server input')))
    } catch (err) {
      if (!isCoreError(err)) throw err
      return [{ type: 'input.rejected', code: err.code, message: err.message }]
    }
    const opsBefore = this.pendingOps.length
    const out: ServerOutput[] = []
    for (const [machine, value] of routed) out.push(...applyMachineInput(machine, value, this.pendingOps))
    for (const value of own) {
      const applied = applyOwnInput(this.counter, value, (id) => this.joined.has(toHex(id)))
      this.counter = applied.counter
      out.push(...applied.out)
    }
    const changedNothing = this.pendingOps.length === opsBefore && out.length > 0 && out.every((o) => o.type === 'tx.rejected')
    if (!changedNothing) {
      this.inputs.push(input)
      this.inputBytes += input.length
    }
    return out
  }

  private route(item: RlpItem): { routed: Array<[Machine, RlpItem]>; own: RlpItem[] } {
    const list = asList(item, 'server input')
    const keys = asList(list[0], 'server input keys')
    if (keys.length > list.length - 1) {
      throw new CoreError(ErrorCode.ServerBadInput, `${keys.length} keys for ${list.length - 1} values`)
    }
    const routed = keys.map((key, i): [Machine, RlpItem] => {
      const id = asBytes(key, `key ${i}`, 32)
      const machine = this.machines.get(toHex(id))
      if (!machine) throw new CoreError(ErrorCode.ServerUnknownMachine, `no machine ${toHex(id).slice(0, 16)}`)
      return [machine, list[i + 1]!]
    })
    return { routed, own: list.slice(keys.length + 1) }
  }

  /** Hash over the server's own state and every sub-machine's root, in key order. */
  stateHash(skip?: ReadonlySet<string>): Bytes {
    const roots = [...this.machines.entries()]
      .filter(([key]) => !skip?.has(key))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, machine]) => [Buffer.from(key, 'hex'), machine.m.root()])
    return sha256(encodeRlp([encodeUint(this.counter), roots]))
  }

  /**
   * Closes the inputs received since the last seal into a frame and writes it with everything
   * they committed, atomically. Returns undefined, writing nothing, when nothing happened.
   */
  async seal(time: number): Promise<ServerFrame | undefined> {
    if (this.broken) throw this.broken
    if (this.inputs.length === 0 && this.pendingOps.length === 0) {
      await this.writing // what an earlier seal took must be on disk when this resolves
      return undefined
    }
    const frame: ServerFrame = {
      height: this.height + 1,
      prevHash: this.prevHash,
      time,
      inputs: this.inputs,
      stateHash: this.stateHash(),
    }
    const encoded = encodeFrame(frame)
    if (encoded.length > MAX_FRAME_BYTES) throw new CoreError(ErrorCode.ServerBadInput, `frame of ${encoded.length} bytes`)
    const hash = sha256(encoded)
    const ops = this.pendingOps
    ops.push(
      { type: 'put', key: frameKey(hash), value: encoded },
      { type: 'put', key: frameHeightKey(frame.height), value: hash },
      { type: 'put', key: serverRootKey(this.id), value: this.encodeRoot(frame.height, hash, frame.stateHash) },
    )
    // From here on the next frame collects; the state above is already fixed in `frame`.
    this.inputs = []
    this.inputBytes = 0
    this.pendingOps = []
    this.height = frame.height
    this.prevHash = hash
    const expired = this.keepFrames > 0 ? frame.height - this.keepFrames : 0
    const write = this.writing.then(async () => {
      // A frame chains onto the one before: if that one did not land, this one must not either
      // (its state hash would count blocks that are not on disk; review L-6).
      if (this.broken) throw this.broken
      // The frame leaving the window goes in the same batch as the one entering it.
      if (expired >= 1) {
        const old = await this.store.get(frameHeightKey(expired))
        if (old !== undefined) ops.push({ type: 'del', key: frameHeightKey(expired) }, { type: 'del', key: frameKey(old) })
      }
      await this.store.batch(ops, { sync: this.sync })
    })
    this.writing = write.catch((err: Error) => {
      this.broken ??= new CoreError(ErrorCode.StorageCorrupt, `a frame write failed, the server stopped: ${err.message}`)
    })
    await write
    return frame
  }

  private encodeRoot(height: number, frameHash: Bytes, stateHash: Bytes): Bytes {
    const sorted = [...this.machines.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
    const records = sorted.flatMap(([key, machine]): Array<[Bytes, RlpItem]> => (machine.kind === 'validator' ? [[fromHex(key), machine.m.encodeRecord()]] : []))
    const joined = [...this.joined.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, genesis]) => genesis)
    return encodeServerRoot({ height, frameHash, stateHash, counter: this.counter, records, joined })
  }

  private restore(root: ServerRoot): void {
    this.height = root.height
    this.prevHash = root.frameHash
    this.counter = root.counter
    for (const [id, record] of root.records) {
      const machine = this.machines.get(toHex(id))
      if (machine?.kind === 'validator') machine.m.restoreRecord(record)
    }
    // a validator key added since the last frame (keys add) was not in it: its fresh state is not counted
    const recorded = new Set(root.records.map(([id]) => toHex(id)))
    const added = new Set([...this.machines].flatMap(([key, m]) => (m.kind === 'validator' && !recorded.has(key) ? [key] : [])))
    if (compare(root.stateHash, this.stateHash(added)) !== 0) {
      const missing = [...recorded].filter((key) => !this.machines.has(key)).length
      throw new CoreError(ErrorCode.ServerStateMismatch, `state after frame ${this.height} does not match its stored hash${missing > 0 ? `: ${missing} validator key(s) that signed before are not in the home` : ''}`)
    }
  }

}

export { loadVotedBlocks, readFrames } from './server-store.ts'
export type { ServerOutput } from './server-ops.ts'
