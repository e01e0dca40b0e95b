// Where settings come from, strongest first: flags, environment (P2PNODE_*), the home's config
// file, defaults. The home itself: --home, else $P2PNODE_HOME, else ~/.p2pnode.

import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { NodeConfigInput } from '@p2pnode/node/config'

export const DEFAULT_HOME = join(homedir(), '.p2pnode')

export interface GlobalOptions {
  home?: string
  json?: boolean
  debug?: boolean
  /** The hosted entity entity-scoped commands are about (id or name); the root when absent. */
  entity?: string
}

export function resolveHome(opts: GlobalOptions, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(opts.home ?? env['P2PNODE_HOME'] ?? DEFAULT_HOME)
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean)
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${value}`)
  return n
}

/** `HOST:PORT` (or `:PORT`, or `PORT`) as the API flags and variables take it. */
export function parseHostPort(value: string): { host?: string; port: number } {
  const match = /^(?:(.*):)?(\d{1,5})$/.exec(value)
  if (!match) throw new Error(`expected HOST:PORT, got ${value}`)
  const port = Number(match[2])
  if (port > 65535) throw new Error(`port ${port} is out of range`)
  return match[1] ? { host: match[1], port } : { port }
}

/**
 * The config layer from the environment: P2PNODE_NETWORK, P2PNODE_LISTEN (comma-separated
 * multiaddrs), P2PNODE_ANNOUNCE, P2PNODE_BOOTSTRAP, P2PNODE_API (HOST:PORT), P2PNODE_METRICS
 * (HOST:PORT), P2PNODE_LOG_LEVEL, P2PNODE_LOG_FORMAT.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): NodeConfigInput {
  const out: Record<string, Record<string, unknown> | string> = {}
  const section = (name: string) => (out[name] ??= {}) as Record<string, unknown>
  if (env['P2PNODE_NETWORK']) out['network'] = env['P2PNODE_NETWORK']
  const listen = list(env['P2PNODE_LISTEN'])
  if (listen) section('p2p')['listen'] = listen
  const announce = list(env['P2PNODE_ANNOUNCE'])
  if (announce) section('p2p')['announce'] = announce
  const bootstrap = list(env['P2PNODE_BOOTSTRAP'])
  if (bootstrap) section('p2p')['bootstrap'] = bootstrap
  if (env['P2PNODE_API']) Object.assign(section('api'), parseHostPort(env['P2PNODE_API']))
  if (env['P2PNODE_METRICS']) Object.assign(section('metrics'), parseHostPort(env['P2PNODE_METRICS']))
  if (env['P2PNODE_LOG_LEVEL']) section('log')['level'] = env['P2PNODE_LOG_LEVEL']
  if (env['P2PNODE_LOG_FORMAT']) section('log')['format'] = env['P2PNODE_LOG_FORMAT']
  const maxConnections = int(env['P2PNODE_MAX_CONNECTIONS'], 'P2PNODE_MAX_CONNECTIONS')
  if (maxConnections !== undefined) section('p2p')['maxConnections'] = maxConnections
  return out as NodeConfigInput
}

/**
 * The one flag that lets a command throw away a validator's double-sign record (reset) or start
 * without a readable one (start). Named as CometBFT names its unsafe resets, so that it reads as
 * what it is in a shell history.
 */
export const UNSAFE_RESET_SIGNER_FLAG = '--unsafe-reset-signer'
