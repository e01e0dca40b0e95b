// The node's home directory: everything one node owns, in one place an operator can back up.
//
//   <home>/config.json        configuration (defaults fill what is missing)
//   <home>/genesis.json       the network's genesis (validators, threshold, parameters)
//   <home>/keys/validator.key BLS validator seed, hex (0600): the node's primary validator key
//   <home>/keys/validators/<key>.key  more validator seeds (`p2pnode keys add`), same format
//   <home>/keys/account.key   Ed25519 account seed, hex (0600)
//   <home>/keys/signer-state-<key>.json  the validator key's double-sign record (signer-state.ts)
//   <home>/api-token          bearer token of the local HTTP API (0600)
//   <home>/p2p/               libp2p node key and the persisted peer store
//   <home>/data/              LevelDB: blocks, state, server frames

import { randomBytes } from 'node:crypto'
import { mkdir, readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AccountSigner, type Bytes, type Genesis, ROOT_PARAMS, ValidatorSigner, fromHex, makeGenesis, toHex } from '@p2pnode/core'
import { type NodeConfig, type NodeConfigInput, resolveConfig } from '../config.ts'
import { writeFileAtomic } from './atomic-write.ts'
import { HomeError, type HomePaths, KEY_MODE_OPEN_BITS, checkedApiToken, exists, homePaths, readHomeConfig, readJson } from './files.ts'
import { type GenesisJson, genesisFromJson, genesisToJson } from './genesis-json.ts'
import { listSignerStates } from './signer-state.ts'

export interface NodeKeys {
  validatorSeed: Bytes
  accountSeed: Bytes
  /** Validator seeds beside the primary one (keys/validators/), in file-name order. */
  moreValidatorSeeds?: Bytes[]
}

/** Every validator seed of a home: the primary one first. */
export function validatorSeeds(keys: NodeKeys): Bytes[] {
  return [keys.validatorSeed, ...(keys.moreValidatorSeeds ?? [])]
}

/** Adds a validator key to a home (keys/validators/<key>.key, 0600); returns its public facts. */
export async function addValidatorKey(home: string, seed: Bytes = randomBytes(32)): Promise<ReturnType<typeof validatorIdentity>> {
  const paths = homePaths(home)
  await mkdir(paths.validatorKeys, { recursive: true, mode: 0o700 })
  const identity = validatorIdentity(seed)
  await writeSecret(join(paths.validatorKeys, `${identity.validatorPublicKey.slice(0, 16)}.key`), `${toHex(seed)}\n`)
  return identity
}

/** A validator key's public facts: what a genesis or a validators.set needs of it. */
export function validatorIdentity(seed: Bytes) {
  const validator = new ValidatorSigner(seed)
  return { validatorPublicKey: toHex(validator.publicKey), proofOfPossession: toHex(validator.provePossession()) }
}

async function readMoreSeeds(dir: string): Promise<Bytes[]> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.key')).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  return Promise.all(names.map((n) => readSeed(join(dir, n))))
}

/** Public facts about a node's keys, as `p2pnode keys show` prints them. */
export function identityOf(keys: NodeKeys) {
  const validator = new ValidatorSigner(keys.validatorSeed)
  const account = new AccountSigner(keys.accountSeed)
  return {
    validatorPublicKey: toHex(validator.publicKey),
    proofOfPossession: toHex(validator.provePossession()),
    accountPublicKey: toHex(account.publicKey),
    accountAddress: toHex(account.address),
  }
}

/** The public key whose signer state (signer-state.ts) guards this home's votes. */
export function validatorPublicKeyOf(keys: NodeKeys): Bytes {
  return new ValidatorSigner(keys.validatorSeed).publicKey
}

async function writeSecret(path: string, content: string): Promise<void> {
  await writeFileAtomic(path, content, { mode: 0o600 })
}

export interface InitOptions {
  network?: string
  config?: NodeConfigInput
  /** The genesis to use; default: a single-validator genesis of this node, so that it can start alone. */
  genesis?: Genesis
  force?: boolean
  /** Seeds to use instead of fresh random ones (testnet generation, tests). */
  keys?: NodeKeys
  now?: number
}

/**
 * Creates a home: keys, API token, config and genesis. Refuses an existing home unless `force`.
 * Each file is replaced atomically (a crash leaves the old or the new one, never a torn key).
 * Signer state files are never touched: with `force` and new keys, the old key's record stays
 * under its own name (`signerStates` lists what the keys directory holds).
 */
export async function initHome(home: string, options: InitOptions = {}): Promise<{ paths: HomePaths; keys: NodeKeys; genesis: Genesis; signerStates: string[] }> {
  const paths = homePaths(home)
  if (!options.force && (await exists(paths.config))) {
    throw new HomeError('HOME_EXISTS', `${home} is already initialized (use --force to overwrite it)`)
  }
  await mkdir(paths.keys, { recursive: true, mode: 0o700 })
  await mkdir(paths.p2p, { recursive: true, mode: 0o700 })
  const keys = options.keys ?? { validatorSeed: randomBytes(32), accountSeed: randomBytes(32) }
  await writeSecret(paths.validatorKey, `${toHex(keys.validatorSeed)}\n`)
  await writeSecret(paths.accountKey, `${toHex(keys.accountSeed)}\n`)
  await writeSecret(paths.apiToken, `${randomBytes(32).toString('hex')}\n`)
  const network = options.network ?? options.genesis?.network ?? options.config?.network ?? 'p2pnode'
  const config: NodeConfigInput = { ...(options.config ?? {}), network }
  resolveConfig(config) // refuse to write a config the node would refuse to start with
  await writeFileAtomic(paths.config, `${JSON.stringify(config, null, 2)}\n`)
  const genesis = options.genesis ?? soloGenesis(network, keys, options.now ?? Date.now())
  await writeFileAtomic(paths.genesis, `${JSON.stringify(genesisToJson(genesis), null, 2)}\n`)
  return { paths, keys, genesis, signerStates: await listSignerStates(paths.keys) }
}

export function soloGenesis(network: string, keys: NodeKeys, time: number): Genesis {
  const id = identityOf(keys)
  return makeGenesis({
    network,
    time,
    params: ROOT_PARAMS,
    validators: [{ publicKey: fromHex(id.validatorPublicKey), account: fromHex(id.accountAddress), shares: 1, proofOfPossession: fromHex(id.proofOfPossession) }],
  })
}

async function readSeed(path: string): Promise<Bytes> {
  let text: string
  try {
    const mode = (await stat(path)).mode & 0o777
    // Like ssh with a private key: a key others can read may already be theirs; say so, do not use it.
    if ((mode & KEY_MODE_OPEN_BITS) !== 0) {
      throw new HomeError('HOME_KEY_PERMISSIONS', `${path} has mode 0${mode.toString(8)}: a key must be open to its owner only (0600 or 0400)`, `chmod 600 ${path}`)
    }
    text = (await readFile(path, 'utf8')).trim()
  } catch (err) {
    if (err instanceof HomeError) throw err
    throw new HomeError('HOME_NOT_INITIALIZED', `${path} is missing (run p2pnode init)`)
  }
  if (!/^[0-9a-f]{64}$/.test(text)) throw new HomeError('HOME_BAD_FILE', `${path} must hold 32 bytes of hex`)
  return fromHex(text)
}

export interface LoadedHome {
  paths: HomePaths
  config: NodeConfig
  genesis: Genesis
  keys: NodeKeys
  apiToken: string
}

/** Reads and checks a home; `overrides` (environment, flags) win over the config file. */
export async function loadHome(home: string, ...overrides: NodeConfigInput[]): Promise<LoadedHome> {
  const paths = homePaths(home)
  const config = await readHomeConfig(home, overrides)
  let genesis: Genesis
  try {
    genesis = genesisFromJson((await readJson(paths.genesis)) as GenesisJson)
  } catch (err) {
    if (err instanceof HomeError) throw err
    throw new HomeError('HOME_BAD_FILE', `${paths.genesis}: ${(err as Error).message}`)
  }
  if (genesis.network !== config.network) {
    throw new HomeError('HOME_BAD_FILE', `genesis is for network ${genesis.network}, config says ${config.network}`)
  }
  const keys = { validatorSeed: await readSeed(paths.validatorKey), accountSeed: await readSeed(paths.accountKey), moreValidatorSeeds: await readMoreSeeds(paths.validatorKeys) }
  return { paths, config, genesis, keys, apiToken: await checkedApiToken(home) }
}

/** The home's libp2p peer id (its node key is made on first use). libp2p's key code loads only when called. */
export async function peerIdOfHome(home: string): Promise<string> {
  return (await import('./identity.ts')).peerIdOf(homePaths(home).p2p)
}

/** Why `text` is not a usable multiaddr, or undefined (the multiaddr parser loads only when called). */
export async function multiaddrProblem(text: string, options: { peerId?: boolean } = {}): Promise<string | undefined> {
  return (await import('./identity.ts')).multiaddrProblem(text, options)
}

export { syncDir, writeFileAtomic } from './atomic-write.ts'
export { HomeError, type HomePaths, MIN_API_TOKEN_LENGTH, homePaths, readApiToken } from './files.ts'
export { type ApiAccess, loadApiAccess } from './api-access.ts'
export {
  type HighWaterMark,
  SIGNER_STATE_VERSION,
  SignerState,
  SignerStateError,
  type SignerStateErrorCode,
  type SignerStateSummary,
  describeMark,
  inspectSignerState,
  listSignerStates,
  removeSignerState,
  setAsideSignerState,
  signerStatePath,
} from './signer-state.ts'
export { BACKUP_MAGIC, BACKUP_VERSION, BackupError, type BackupErrorCode, type BackupHeader, exportChain, importChain, openChainData, readBackupHeader } from './backup.ts'
export { type GenesisJson, genesisFromJson, genesisToJson } from './genesis-json.ts'
