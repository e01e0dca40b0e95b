// What the node-side commands share: loading a home or saying why not, config flags turned into
// a config layer, multiaddr checks, "is the node of this home running?", and a progress line.

import type { Command } from 'commander'
import { Client } from '@p2pnode/node/client'
import { type NodeConfigInput, mergeConfig } from '@p2pnode/node/config'
import { BackupError, type LoadedHome, loadHome, multiaddrProblem } from '@p2pnode/node/home'
import { homeError } from '../client.ts'
import { CliError, ExitCode, fail } from '../errors.ts'
import { type GlobalOptions, configFromEnv, parseHostPort, resolveHome } from '../options.ts'

/** How long a running node gets to answer before a command takes it for stopped. */
const RUNNING_PROBE_MS = 1_500

export interface ConfigFlags {
  listen?: string[]
  api?: string
  bootstrap?: string[]
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>()
}

/** Adds --listen, --api and --bootstrap, as init and start take them. */
export function addConfigFlags(command: Command): Command {
  return command
    .option('--listen <multiaddr...>', 'P2P listen address(es), e.g. /ip4/0.0.0.0/tcp/7400')
    .option('--api <host:port>', 'the local HTTP API address, e.g. 127.0.0.1:7401')
    .option('--bootstrap <multiaddr...>', 'peers to join through, each ending in /p2p/<peer id>')
}

/** The config layer of the flags, checked: a bad multiaddr or address is exit 7, naming the flag. */
export async function configFromFlags(flags: ConfigFlags): Promise<NodeConfigInput> {
  const p2p: Record<string, string[]> = {}
  for (const [name, peerId] of [['listen', false], ['bootstrap', true]] as const) {
    const values = flags[name]
    if (!values) continue
    for (const value of values) {
      const problem = await multiaddrProblem(value, { peerId })
      if (problem) fail(ExitCode.BadInput, `--${name}: ${problem}`, name === 'bootstrap' ? 'a bootstrap address looks like /ip4/203.0.113.7/tcp/7400/p2p/12D3KooW…' : 'a listen address looks like /ip4/0.0.0.0/tcp/7400')
    }
    p2p[name] = values
  }
  const out: NodeConfigInput = Object.keys(p2p).length > 0 ? { p2p } : {}
  if (flags.api !== undefined) {
    try {
      out.api = parseHostPort(flags.api)
    } catch (err) {
      fail(ExitCode.BadInput, `--api: ${(err as Error).message}`, 'for example --api 127.0.0.1:7401')
    }
  }
  return out
}

/** Environment, then flags on top: the overrides of the home's config file. */
export function overrides(flags: NodeConfigInput = {}): NodeConfigInput {
  let env: NodeConfigInput
  try {
    env = configFromEnv()
  } catch (err) {
    fail(ExitCode.BadInput, `environment: ${(err as Error).message}`, 'check the P2PNODE_* variables')
  }
  return mergeConfig(env, flags)
}

/** Loads the home of the command line, or fails with exit 3 (missing) / 7 (bad config). */
export async function openHome(opts: GlobalOptions, flags: NodeConfigInput = {}): Promise<LoadedHome> {
  const home = resolveHome(opts)
  try {
    return await loadHome(home, overrides(flags))
  } catch (err) {
    throw homeError(err, home)
  }
}

export function apiUrlOf(loaded: LoadedHome): string {
  const { host, port } = loaded.config.api
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`
}

/** Whether the node of this home answers on its API (a stopped node does not). */
export async function nodeAnswers(loaded: LoadedHome): Promise<boolean> {
  const client = new Client({ url: apiUrlOf(loaded), token: loaded.apiToken, timeoutMs: RUNNING_PROBE_MS })
  try {
    await client.health()
    return true
  } catch {
    return false
  }
}

/** For commands that touch the chain data: the node must be stopped. */
export async function refuseWhileRunning(loaded: LoadedHome, what: string): Promise<void> {
  if (await nodeAnswers(loaded)) {
    fail(ExitCode.NodeRunning, `the node of ${loaded.paths.home} is running (its API answers at ${apiUrlOf(loaded)}); ${what} needs it stopped`, 'stop it first (Ctrl-C, or systemctl stop p2pnode), then run this again', 'NODE_RUNNING')
  }
}

/** A database in a layout this release does not read (core's STORAGE_SCHEMA_UNSUPPORTED). */
export function schemaFailure(err: Error, home: string): never {
  return fail(ExitCode.HomeMissing, `${home}/data: ${err.message}`, `run the release that wrote it, or p2pnode --home ${home} reset --yes and let the node sync the chain again`, 'STORAGE_SCHEMA_UNSUPPORTED')
}

/** Backup errors as the operator should read them. */
export function backupFailure(err: unknown, home: string): never {
  if ((err as { code?: unknown })?.code === 'STORAGE_SCHEMA_UNSUPPORTED') return schemaFailure(err as Error, home)
  if (!(err instanceof BackupError)) throw err
  switch (err.code) {
    case 'DATA_LOCKED':
      return fail(ExitCode.NodeRunning, err.message, `stop the node of ${home} first`, 'NODE_RUNNING')
    case 'BACKUP_NOT_EMPTY':
      return fail(ExitCode.Refused, `${err.message}; import restores into an empty chain only`, `p2pnode --home ${home} reset --yes deletes the chain data (keys and config stay)`, err.code)
    case 'BACKUP_PRUNED':
      return fail(ExitCode.Refused, err.message, 'export from a node that keeps every block (storage.keepBlocks 0)', err.code)
    case 'BACKUP_WRONG_CHAIN':
      return fail(ExitCode.BadInput, err.message, `import into a home with the same genesis (copy the network's genesis.json into ${home})`, err.code)
    default:
      return fail(ExitCode.BadInput, err.message, 'the backup is damaged or not a p2pnode backup; nothing was imported', err.code)
  }
}

/**
 * A redrawn progress line on stderr (nothing when stderr is not a terminal, or with --json):
 * `[##########..........]  50%  500/1000 blocks`.
 */
export function progressBar(label: string, enabled: boolean): { update: (done: number, total: number) => void; end: () => void } {
  const tty = enabled && process.stderr.isTTY === true
  let last = -1
  let drawn = false
  return {
    update(done, total) {
      if (!tty) return
      const percent = total === 0 ? 100 : Math.floor((done * 100) / total)
      if (percent === last && done !== total) return
      last = percent
      const width = 30
      const filled = Math.round((percent * width) / 100)
      process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%  ${done}/${total} blocks`)
      drawn = true
    },
    end() {
      if (drawn) process.stderr.write('\n')
    },
  }
}

export function positiveInt(value: string, flag: string, min = 1): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) fail(ExitCode.BadInput, `${flag} must be an integer >= ${min}, got ${value}`)
  return n
}

export { CliError, ExitCode, fail }
