import type { Command } from 'commander'
import type { NodeConfig } from '@p2pnode/node/config'
import { BackupError, SignerStateError } from '@p2pnode/node/home'
import { UNSAFE_RESET_SIGNER_FLAG } from '../options.ts'
import { ExitCode, addConfigFlags, configFromFlags, fail, globals, openHome, overrides, schemaFailure } from './node-common.ts'
import { checkSignerStateAtStart, signerStateFailure } from './signer-record.ts'

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']
/** A stop that hangs (a peer that will not let go) must not keep the process forever. */
const STOP_DEADLINE_MS = 15_000

interface StartFlags {
  listen?: string[]
  api?: string
  bootstrap?: string[]
  logLevel?: string
  logFormat?: string
  unsafeResetSigner?: boolean
}

export function registerStart(program: Command): void {
  addConfigFlags(
    program
      .command('start')
      .description('run the node in the foreground until Ctrl-C (SIGINT) or SIGTERM, which stop it cleanly')
      .option('--log-level <level>', `one of ${LOG_LEVELS.join(' ')}`)
      .option('--log-format <format>', 'json (for log collectors) or pretty (for people)')
      .option(UNSAFE_RESET_SIGNER_FLAG, "start even though the validator key's double-sign record cannot be read (it is moved aside)"),
  )
    .addHelpText(
      'after',
      `
Flags override the environment (P2PNODE_LISTEN, P2PNODE_API, P2PNODE_BOOTSTRAP, P2PNODE_LOG_LEVEL,
...), which overrides <home>/config.json. Logs go to stdout.

A validator's double-sign record (<home>/keys/signer-state-<key>.json) that cannot be read stops
the start (exit 3): without it the node could sign twice at a height it already voted at.
${UNSAFE_RESET_SIGNER_FLAG} moves such a file aside and starts without it; use it only once the
network is past the last height this key voted at.

Examples:
  p2pnode start
  p2pnode --home /var/lib/p2pnode start --log-format pretty
  p2pnode start --listen /ip4/0.0.0.0/tcp/7400 --bootstrap /ip4/203.0.113.7/tcp/7400/p2p/12D3KooW...`,
    )
    .action(async (options: StartFlags, command: Command) => {
      const opts = globals(command)
      if (options.logLevel && !LOG_LEVELS.includes(options.logLevel)) fail(ExitCode.BadInput, `--log-level ${options.logLevel}: expected one of ${LOG_LEVELS.join(' ')}`)
      if (options.logFormat && !['json', 'pretty'].includes(options.logFormat)) fail(ExitCode.BadInput, `--log-format ${options.logFormat}: expected json or pretty`)
      const flags = await configFromFlags(options)
      const log = { ...(options.logLevel ? { level: options.logLevel } : {}), ...(options.logFormat ? { format: options.logFormat } : {}) }
      if (Object.keys(log).length > 0) flags.log = log as NodeConfig['log']
      // Read the home first: a missing home or bad config is said before libp2p even loads.
      const loaded = await openHome(opts, flags)
      await checkSignerStateAtStart(loaded, options.unsafeResetSigner === true)
      const { startNode } = await import('@p2pnode/node')
      let node
      try {
        node = await startNode({ home: loaded.paths.home, config: overrides(flags) })
      } catch (err) {
        throw startFailure(err, loaded.config, loaded.paths.home)
      }
      await new Promise<void>((resolve) => {
        let stopping = false
        const stop = (signal: string) => {
          if (stopping) return
          stopping = true
          process.stderr.write(`${signal}: stopping the node\n`)
          setTimeout(() => {
            process.stderr.write(`the node did not stop within ${STOP_DEADLINE_MS / 1000} s; exiting\n`)
            process.exit(ExitCode.Failure)
          }, STOP_DEADLINE_MS).unref()
          node.stop().then(resolve, (err: Error) => {
            process.stderr.write(`stopping failed: ${err.message}\n`)
            resolve()
          })
        }
        process.once('SIGINT', () => stop('SIGINT'))
        process.once('SIGTERM', () => stop('SIGTERM'))
      })
      // Something of libp2p's may still hold the event loop; the node is stopped, so leave.
      setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref()
    })
}

/** Which setting a port belongs to, for "port in use" errors. */
function portOwner(port: number, config: NodeConfig): { field: string; flag: string } | undefined {
  if (config.api.port === port) return { field: 'api.port', flag: '--api HOST:PORT, P2PNODE_API' }
  if (config.metrics.enabled && config.metrics.port === port) return { field: 'metrics.port', flag: 'P2PNODE_METRICS' }
  if (config.p2p.listen.some((a) => a.includes(`/tcp/${port}`))) return { field: 'p2p.listen', flag: '--listen MULTIADDR, P2PNODE_LISTEN' }
  return undefined
}

function startFailure(err: unknown, config: NodeConfig, home: string): Error {
  const text = `${(err as Error)?.message ?? ''}`
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'EADDRINUSE' || text.includes('EADDRINUSE')) {
    const port = (err as { port?: number }).port ?? Number(/EADDRINUSE[^\n]*?:(\d+)/.exec(text)?.[1])
    const owner = Number.isInteger(port) ? portOwner(port, config) : undefined
    return fail(
      ExitCode.PortInUse,
      `port ${Number.isInteger(port) ? port : '?'}${owner ? ` (${owner.field})` : ''} is in use by another process`,
      `stop that process (is this node already running? p2pnode --home ${home} status), or choose another port${owner ? ` with ${owner.flag}, or ${owner.field} in ${home}/config.json` : ''}`,
      'PORT_IN_USE',
    )
  }
  if (err instanceof SignerStateError) return signerStateFailure(err, home)
  if ((err as { code?: unknown })?.code === 'STORAGE_SCHEMA_UNSUPPORTED') return schemaFailure(err as Error, home)
  const cause = (err as { cause?: { code?: string } })?.cause
  if (cause?.code === 'LEVEL_LOCKED' || err instanceof BackupError) {
    return fail(ExitCode.NodeRunning, `the chain data of ${home} is in use by another process: a node of this home is already running`, `p2pnode --home ${home} status shows it`, 'NODE_RUNNING')
  }
  if (err instanceof Error && (err.name === 'ConfigError' || err.name === 'NetworkError')) {
    return fail(ExitCode.BadInput, err.message, `check the flags, the P2PNODE_* variables and ${home}/config.json`)
  }
  return err as Error
}
