/**
 * @packageDocumentation
 *
 * `p2pnode`: the operator's command. Every command takes `--home DIR` (default $P2PNODE_HOME,
 * else ~/.p2pnode); read commands take `--json`. Flags override the environment (P2PNODE_*),
 * which overrides the home's config file, which overrides defaults. Errors print one sentence
 * and a hint on stderr and exit with a code per kind of trouble (errors.ts); --debug adds the
 * stack trace.
 */

import { Command, CommanderError } from 'commander'
import { CliError, ExitCode } from './errors.ts'
import { registerApiCommands } from './commands/api-commands.ts'
import { registerNodeCommands } from './commands/node-commands.ts'

export const VERSION = '0.1.0'

export function buildProgram(): Command {
  const program = new Command('p2pnode')
    .description('A peer node for replicated state machines on js-libp2p')
    .version(VERSION, '-v, --version', 'print the version')
    .option('--home <dir>', 'the node home (default: $P2PNODE_HOME, else ~/.p2pnode)')
    .option('--json', 'print JSON for scripts instead of tables for people')
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
  registerNodeCommands(program)
  registerApiCommands(program)
  return program
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram()
  program.exitOverride()
  for (const command of program.commands) command.exitOverride()
  const debug = argv.includes('--debug')
  try {
    await program.parseAsync(argv)
    return ExitCode.Ok
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage
    }
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`)
      if (err.hint) process.stderr.write(`hint: ${err.hint}\n`)
      if (debug) process.stderr.write(`${err.stack}\n`)
      return err.exitCode
    }
    process.stderr.write(`error: ${(err as Error).message ?? String(err)}\n`)
    if (debug) process.stderr.write(`${(err as Error).stack}\n`)
    else process.stderr.write('hint: run again with --debug for the stack trace\n')
    return ExitCode.Failure
  }
}
