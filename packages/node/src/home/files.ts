// The home's layout and its plain files (the config, the API token), read and checked with
// nothing of the chain loaded: no keys, no genesis, no BLS. home.ts builds on these; the CLI's
// API commands use them alone (api-access.ts), so that `p2pnode status` starts fast.

import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type NodeConfig, type NodeConfigInput, resolveConfig } from '../config.ts'

export function homePaths(home: string) {
  return {
    home,
    config: join(home, 'config.json'),
    genesis: join(home, 'genesis.json'),
    keys: join(home, 'keys'),
    validatorKey: join(home, 'keys', 'validator.key'),
    /** More validator keys (`p2pnode keys add`): <first 16 hex of the public key>.key each. */
    validatorKeys: join(home, 'keys', 'validators'),
    accountKey: join(home, 'keys', 'account.key'),
    apiToken: join(home, 'api-token'),
    p2p: join(home, 'p2p'),
    data: join(home, 'data'),
    logs: join(home, 'logs'),
  }
}
export type HomePaths = ReturnType<typeof homePaths>

export class HomeError extends Error {
  override readonly name = 'HomeError'
  constructor(
    readonly code: 'HOME_MISSING' | 'HOME_NOT_INITIALIZED' | 'HOME_EXISTS' | 'HOME_BAD_FILE' | 'HOME_KEY_PERMISSIONS',
    message: string,
    /** What the operator should do, when it is more specific than the code says. */
    readonly hint?: string,
  ) {
    super(message)
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** Group or other bits on a key file: refused at load, as ssh refuses such a private key. */
export const KEY_MODE_OPEN_BITS = 0o077

export async function readJson(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw new HomeError('HOME_NOT_INITIALIZED', `${path} is missing (run p2pnode init)`)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new HomeError('HOME_BAD_FILE', `${path} is not valid JSON: ${(err as Error).message}`)
  }
}

/** The home's config file under `overrides` (environment, flags), checked as the node checks it. */
export async function readHomeConfig(home: string, overrides: NodeConfigInput[]): Promise<NodeConfig> {
  if (!(await exists(home))) throw new HomeError('HOME_MISSING', `${home} does not exist (run p2pnode init --home ${home})`)
  return resolveConfig(await readJson(homePaths(home).config), ...overrides)
}

export async function readApiToken(home: string): Promise<string> {
  const path = homePaths(home).apiToken
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    throw new HomeError('HOME_NOT_INITIALIZED', `${path} is missing (run p2pnode init)`)
  }
}

/** Shortest bearer token a node serves with: init writes 64 hex digits (32 random bytes). */
export const MIN_API_TOKEN_LENGTH = 32

/** The token a node serves with: kept from others like a key, and long enough to guess at (review L-4). */
export async function checkedApiToken(home: string): Promise<string> {
  const path = homePaths(home).apiToken
  const token = await readApiToken(home)
  const mode = (await stat(path)).mode & 0o777
  if ((mode & KEY_MODE_OPEN_BITS) !== 0) {
    throw new HomeError('HOME_KEY_PERMISSIONS', `${path} has mode 0${mode.toString(8)}: the API token must be open to its owner only (0600 or 0400)`, `chmod 600 ${path}`)
  }
  if (token.length < MIN_API_TOKEN_LENGTH) {
    throw new HomeError('HOME_BAD_FILE', `${path} holds a token of ${token.length} characters; at least ${MIN_API_TOKEN_LENGTH} are needed`)
  }
  return token
}
