// Backup and restore of a home's chain: the committed blocks with their commits, in one file.
//
//   magic      20 bytes  "P2PNODE-CHAIN-BACKUP"
//   header     u32 length + RLP [version, network, entity id, height, head hash, state root]
//   records    `height` times: u32 length + RLP [block, commit], heights 1, 2, ... in order
//
// A backup is trusted for nothing: import applies every record through core's Server exactly as
// sync would (commit check, then the block's validation stages), and checks the head and state
// root it reaches against the header. It writes into a scratch database next to <home>/data and
// swaps it in only when every block passed, so a bad file leaves the home as it was.

import { createHash } from 'node:crypto'
import { open, rename, rm, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  AccountSigner,
  type Bytes,
  ChainStore,
  type Genesis,
  LevelStore,
  MAX_BLOCK_BYTES,
  MAX_COMMIT_BYTES,
  Server,
  asBytes,
  asList,
  asString,
  asUint,
  checkSchemaVersion,
  decodeRlp,
  encodeRlp,
  blockInput,
  encodeUint,
  equals,
  genesisId,
  genesisState,
  toHex,
  utf8,
} from '@p2pnode/core'
import { syncDir } from './atomic-write.ts'

export const BACKUP_MAGIC = 'P2PNODE-CHAIN-BACKUP'
export const BACKUP_VERSION = 1
const MAX_HEADER_BYTES = 1024
const MAX_RECORD_BYTES = MAX_BLOCK_BYTES + MAX_COMMIT_BYTES + 64
/** Blocks applied per server frame while importing: one fsync per batch, not per block. */
const IMPORT_BATCH_BLOCKS = 64
const WRITE_CHUNK_BYTES = 1 << 20

export type BackupErrorCode =
  | 'BACKUP_BAD_FILE' // not a backup, another version, truncated, or a record that does not decode
  | 'BACKUP_WRONG_CHAIN' // a backup of another network or genesis
  | 'BACKUP_BAD_BLOCK' // a block (or its commit) that does not verify; details.height says which
  | 'BACKUP_NOT_EMPTY' // the home already holds blocks
  | 'BACKUP_PRUNED' // export: the home pruned old blocks (storage.keepBlocks), a backup needs all
  | 'DATA_LOCKED' // another process (the node) holds the database

export class BackupError extends Error {
  override readonly name = 'BackupError'
  constructor(
    readonly code: BackupErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

export interface BackupHeader {
  version: number
  network: string
  entity: string
  height: number
  headHash: string
  stateRoot: string
}

/** What backup and restore need of a home (a LoadedHome has all of it). */
export interface ChainHome {
  paths: { data: string }
  genesis: Genesis
  keys: { validatorSeed: Bytes; accountSeed: Bytes }
}

export type Progress = (done: number, total: number) => void

/** Opens a home's database, saying plainly when a running node holds it. */
export async function openChainData(dir: string): Promise<LevelStore> {
  try {
    return await LevelStore.open(dir)
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause
    if (cause?.code === 'LEVEL_LOCKED') throw new BackupError('DATA_LOCKED', `the chain data in ${dir} is in use by another process (is the node running?)`)
    throw err
  }
}

/** Writes the home's chain to `file` (through a temporary file, renamed when complete). */
export async function exportChain(home: ChainHome, file: string, onProgress?: Progress): Promise<BackupHeader & { bytes: number }> {
  const store = await openChainData(home.paths.data)
  const tmp = `${file}.partial`
  let out: FileHandle | undefined
  try {
    await checkSchemaVersion(store)
    const entity = genesisId(home.genesis)
    const chain = new ChainStore(store, entity)
    const head = (await chain.loadHead()) ?? { height: 0, blockHash: entity, stateRoot: genesisState(home.genesis).state.root() }
    const firstKept = await chain.loadFirstKept()
    if (firstKept > 1) {
      throw new BackupError('BACKUP_PRUNED', `${home.paths.data} pruned the blocks below height ${firstKept}; a backup holds every block from 1`, { firstKept })
    }
    const header: BackupHeader = {
      version: BACKUP_VERSION,
      network: home.genesis.network,
      entity: toHex(entity),
      height: head.height,
      headHash: toHex(head.blockHash),
      stateRoot: toHex(head.stateRoot),
    }
    out = await open(tmp, 'w', 0o600)
    let pending: Bytes[] = [utf8(BACKUP_MAGIC), framed(encodeHeader(header))]
    let pendingBytes = 0
    let bytes = 0
    const drain = async () => {
      const chunk = Buffer.concat(pending)
      await out!.write(chunk)
      bytes += chunk.length
      pending = []
      pendingBytes = 0
    }
    for (let height = 1; height <= head.height; height++) {
      const block = await chain.loadBlockAt(height)
      const commit = await chain.loadCommit(height)
      if (!block || !commit) throw new Error(`block ${height} is missing from ${home.paths.data}`)
      const record = framed(encodeRlp([block, commit]))
      pending.push(record)
      pendingBytes += record.length
      if (pendingBytes >= WRITE_CHUNK_BYTES) await drain()
      onProgress?.(height, head.height)
    }
    await drain()
    await out.sync()
    await out.close()
    out = undefined
    await rename(tmp, file)
    await syncDir(dirname(file))
    return { ...header, bytes }
  } catch (err) {
    await out?.close()
    await rm(tmp, { force: true })
    throw err
  } finally {
    await store.close()
  }
}

/** Reads a backup's header without reading its blocks. */
export async function readBackupHeader(file: string): Promise<BackupHeader> {
  const reader = await BackupReader.open(file)
  try {
    return await reader.header()
  } finally {
    await reader.close()
  }
}

/**
 * Restores a backup into a home whose chain is empty (fresh from `init`, or after `reset`),
 * verifying every block. Stops at the first block that fails, naming its height. Only <home>/data
 * is replaced: the validator's signer state (keys/) stays, whatever height the backup reaches. A
 * backup carries no signer record, and must not: the record belongs to one key on one machine.
 */
export async function importChain(home: ChainHome, file: string, onProgress?: Progress): Promise<BackupHeader> {
  const reader = await BackupReader.open(file)
  const scratch = `${home.paths.data}.importing`
  try {
    const header = await reader.header()
    const entity = genesisId(home.genesis)
    if (header.network !== home.genesis.network || header.entity !== toHex(entity)) {
      throw new BackupError('BACKUP_WRONG_CHAIN', `the backup is of network ${header.network}, entity ${header.entity.slice(0, 16)}…; this home's genesis is network ${home.genesis.network}, entity ${toHex(entity).slice(0, 16)}…`)
    }
    await checkEmpty(home.paths.data, entity)
    await rm(scratch, { recursive: true, force: true })
    const store = await openChainData(scratch)
    try {
      await applyRecords(home, store, reader, header, onProgress)
    } finally {
      await store.close()
    }
    await rm(home.paths.data, { recursive: true, force: true })
    await rename(scratch, home.paths.data)
    await syncDir(dirname(home.paths.data))
    return header
  } finally {
    await reader.close()
    await rm(scratch, { recursive: true, force: true })
  }
}

async function checkEmpty(dataDir: string, entity: Bytes): Promise<void> {
  if (!(await exists(dataDir))) return
  const store = await openChainData(dataDir)
  try {
    const head = await new ChainStore(store, entity).loadHead()
    if (head && head.height > 0) throw new BackupError('BACKUP_NOT_EMPTY', `this home already holds ${head.height} blocks`, { height: head.height })
  } finally {
    await store.close()
  }
}

async function applyRecords(home: ChainHome, store: LevelStore, reader: BackupReader, header: BackupHeader, onProgress?: Progress): Promise<void> {
  // The id the node gives its server (node.ts), so that the node opens this database as its own.
  const account = new AccountSigner(home.keys.accountSeed)
  const id = createHash('sha256').update('p2pnode server').update(account.publicKey).digest()
  const server = await Server.open({ id, store, entities: [home.genesis], validatorSeeds: [home.keys.validatorSeed], accountSeeds: [home.keys.accountSeed] })
  const entity = server.entity(server.entityIds()[0]!)!
  for (let height = 1; height <= header.height; height++) {
    const record = await reader.record(height)
    let block: Bytes
    let commit: Bytes
    try {
      const [b, c] = asList(decodeRlp(record, MAX_RECORD_BYTES, 'backup record'), 'backup record', 2)
      block = asBytes(b, 'block')
      commit = asBytes(c, 'commit')
    } catch {
      throw new BackupError('BACKUP_BAD_FILE', `the record of block ${height} does not decode`, { height })
    }
    const outputs = server.receive(blockInput(entity.id, block, commit))
    const committed = outputs.find((o) => o.type === 'block.committed')
    if (!committed || committed.height !== height) {
      const why = outputs.map((o) => ('code' in o ? o.code : o.type)).join(', ') || 'no output'
      throw new BackupError('BACKUP_BAD_BLOCK', `block ${height} of the backup does not verify (${why})`, { height, why })
    }
    if (height % IMPORT_BATCH_BLOCKS === 0) await server.flush(Date.now())
    onProgress?.(height, header.height)
  }
  await server.flush(Date.now())
  if (!(await reader.atEnd())) throw new BackupError('BACKUP_BAD_FILE', `the backup has bytes after its last block (${header.height})`)
  const tip = entity.tip
  if (toHex(tip.hash) !== header.headHash || !equals(tip.state.root(), Buffer.from(header.stateRoot, 'hex'))) {
    throw new BackupError('BACKUP_BAD_FILE', `the chain restored to ${tip.height} does not match the head the backup's header names`)
  }
}

function encodeHeader(h: BackupHeader): Bytes {
  return encodeRlp([encodeUint(h.version), utf8(h.network), Buffer.from(h.entity, 'hex'), encodeUint(h.height), Buffer.from(h.headHash, 'hex'), Buffer.from(h.stateRoot, 'hex')])
}

function framed(bytes: Bytes): Bytes {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(bytes.length)
  return Buffer.concat([length, bytes])
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** Sequential reads of a backup file with every length bounded before it is trusted. */
class BackupReader {
  private buffer = Buffer.alloc(0)
  private position = 0
  private eof = false

  private constructor(
    private readonly file: FileHandle,
    private readonly path: string,
  ) {}

  static async open(path: string): Promise<BackupReader> {
    try {
      return new BackupReader(await open(path, 'r'), path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BackupError('BACKUP_BAD_FILE', `${path} does not exist`)
      throw err
    }
  }

  async header(): Promise<BackupHeader> {
    const magic = await this.take(BACKUP_MAGIC.length)
    if (!magic || magic.toString('latin1') !== BACKUP_MAGIC) throw new BackupError('BACKUP_BAD_FILE', `${this.path} is not a p2pnode chain backup`)
    const bytes = await this.frame(MAX_HEADER_BYTES, 'header')
    try {
      const f = asList(decodeRlp(bytes, MAX_HEADER_BYTES, 'backup header'), 'backup header', 6)
      const version = asUint(f[0], 'version')
      if (version !== BACKUP_VERSION) throw new BackupError('BACKUP_BAD_FILE', `${this.path} is a backup of format ${version}; this p2pnode reads format ${BACKUP_VERSION}`)
      return {
        version,
        network: asString(f[1], 'network', 64),
        entity: toHex(asBytes(f[2], 'entity', 32)),
        height: asUint(f[3], 'height'),
        headHash: toHex(asBytes(f[4], 'headHash', 32)),
        stateRoot: toHex(asBytes(f[5], 'stateRoot', 32)),
      }
    } catch (err) {
      if (err instanceof BackupError) throw err
      throw new BackupError('BACKUP_BAD_FILE', `the header of ${this.path} does not decode`)
    }
  }

  record(height: number): Promise<Buffer> {
    return this.frame(MAX_RECORD_BYTES, `block ${height}`, height)
  }

  async atEnd(): Promise<boolean> {
    return (await this.take(1)) === undefined
  }

  close(): Promise<void> {
    return this.file.close()
  }

  private async frame(max: number, what: string, height?: number): Promise<Buffer> {
    const details = height === undefined ? {} : { height }
    const length = await this.take(4)
    if (!length) throw new BackupError('BACKUP_BAD_FILE', `${this.path} ends before ${what} (truncated?)`, details)
    const n = length.readUInt32BE(0)
    if (n > max) throw new BackupError('BACKUP_BAD_FILE', `${what} claims ${n} bytes, more than the ${max} allowed`, details)
    const bytes = await this.take(n)
    if (!bytes) throw new BackupError('BACKUP_BAD_FILE', `${this.path} ends inside ${what} (truncated?)`, details)
    return bytes
  }

  /** Exactly `n` bytes, or undefined at the end of the file. */
  private async take(n: number): Promise<Buffer | undefined> {
    while (this.buffer.length - this.position < n && !this.eof) {
      const chunk = Buffer.alloc(Math.max(WRITE_CHUNK_BYTES, n))
      const { bytesRead } = await this.file.read(chunk, 0, chunk.length, null)
      if (bytesRead === 0) this.eof = true
      this.buffer = Buffer.concat([this.buffer.subarray(this.position), chunk.subarray(0, bytesRead)])
      this.position = 0
    }
    if (this.buffer.length - this.position < n) return undefined
    const out = this.buffer.subarray(this.position, this.position + n)
    this.position += n
    return out
  }
}
