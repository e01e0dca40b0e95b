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
import { COMMANDS, type CommandModule } from './commands/table.ts'

export const VERSION = '0.1.0'
const VERSION_FLAGS = '-v, --version'

/**
 * The program with the commands `args` (the arguments after the script) can run: the one it
 * names, none for a bare --version, and all of them for help, for a word that names no command
 * (commander then suggests one) and when `args` is not given.
 */
export async function buildProgram(args?: readonly string[]): Promise<Command> {
  const program = new Command('p2pnode')
    .description('A peer node for replicated state machines on js-libp2p')
    .version(VERSION, VERSION_FLAGS, 'print the version')
    .option('--home <dir>', 'the node home (default: $P2PNODE_HOME, else ~/.p2pnode)')
    .option('--json', 'print JSON for scripts instead of tables for people')
    .option('--entity <id|name>', 'the hosted entity tx, kv, block and proposal commands are about (default: the root)')
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
  for (const module of args === undefined ? COMMANDS : commandsFor(program, args)) (await module.load())(program)
  return program
}

function commandsFor(program: Command, args: readonly string[]): readonly CommandModule[] {
  const word = commandWord(program, args)
  if (word === undefined) {
    const versionOnly = args.some((a) => VERSION_FLAGS.split(', ').includes(a)) && !args.some((a) => a === '-h' || a === '--help')
    return versionOnly ? [] : COMMANDS
  }
  const named = COMMANDS.filter((m) => m.names.includes(word))
  return named.length > 0 ? named : COMMANDS
}

/** The first operand: what commander will dispatch on, past the program's own options and their values. */
function commandWord(program: Command, args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (arg === '--') return args[i + 1]
    if (!arg.startsWith('-')) return arg
    const option = program.options.find((o) => o.long === arg || o.short === arg)
    if (option && (option.required || option.optional)) i++ // its value, as in --home DIR
  }
  return undefined
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug')
  try {
    const program = await buildProgram(argv.slice(2))
    // commands throw instead of exiting, nested ones (tx status, keys show) too, so that a usage
    // error is exit code 2 and not commander's 1
    const override = (command: Command): void => {
      command.exitOverride()
      command.commands.forEach(override)
    }
    override(program)
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
