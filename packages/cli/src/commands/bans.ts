// `bans`, `ban PEERID`, `unban PEERID`: the peers the node refuses to talk to, the ones it banned
// itself for misbehaviour and the ones its operator banned.

import type { Command } from 'commander'
import { MAX_BAN_MINUTES, MAX_BAN_REASON_CHARS } from '@p2pnode/node/client'
import { call, connect } from '../client.ts'
import { CliError, ExitCode, fail } from '../errors.ts'
import type { GlobalOptions } from '../options.ts'
import { duration, localTime, printJson, printTable } from '../output.ts'
import { parseCount, parsePeerId } from './input.ts'

const BANNED_HINT = 'p2pnode bans lists the banned peers with their ids'

/** "2025-06-01T14:03:09+02:00 (in 29m12s)" */
function until(ms: number, now: number): string {
  return `${localTime(ms)} (in ${duration(Math.max(0, ms - now))})`
}

export function registerBans(program: Command): void {
  program
    .command('bans')
    .description('the peers the node refuses, in both directions: id, until when, why')
    .addHelpText('after', '\nExamples:\n  p2pnode bans\n  p2pnode bans --json   # [{"peerId", "until" (ms since the epoch), "reason"}]')
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(opts)
      const bans = await call(node, (c) => c.bans())
      if (opts.json) return printJson(bans)
      if (bans.length === 0) {
        process.stdout.write('no peers banned\n')
        return
      }
      const now = Date.now()
      // full ids, not short ones: this is the list an operator copies an id from to unban it
      printTable(
        ['PEER', 'UNTIL', 'REASON'],
        [...bans].sort((a, b) => a.until - b.until).map((b) => [b.peerId, until(b.until, now), b.reason]),
      )
    })

  program
    .command('ban')
    .argument('<peerId>', 'the peer id, as `p2pnode peers --json` prints it')
    .option('--minutes <n>', "how long, in minutes (default: the node's p2p.banMinutes)")
    .option('--reason <text>', `why, for the log and \`p2pnode bans\` (at most ${MAX_BAN_REASON_CHARS} characters)`)
    .description('disconnect a peer and refuse it, both ways, for a while (replaces a ban it has)')
    .addHelpText(
      'after',
      '\nExamples:\n  p2pnode ban 12D3KooWRm…\n  p2pnode ban 12D3KooWRm… --minutes 1440 --reason "floods the mempool" --json   # {"peerId", "until", "reason"}',
    )
    .action(async (peerId: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & { minutes?: string; reason?: string }>()
      parsePeerId(peerId)
      const minutes = opts.minutes === undefined ? undefined : parseCount(opts.minutes, '--minutes', 1)
      if (minutes !== undefined && minutes > MAX_BAN_MINUTES) fail(ExitCode.BadInput, `--minutes must be at most ${MAX_BAN_MINUTES} (seven years), got ${minutes}`)
      const reason = opts.reason
      if (reason !== undefined && (reason.length === 0 || reason.length > MAX_BAN_REASON_CHARS)) {
        fail(ExitCode.BadInput, `--reason must be 1 to ${MAX_BAN_REASON_CHARS} characters, got ${reason.length}`)
      }
      const node = await connect(opts)
      const ban = await call(node, (c) => c.ban(peerId, { ...(minutes !== undefined ? { minutes } : {}), ...(reason !== undefined ? { reason } : {}) })).catch((err: unknown) => {
        if (err instanceof CliError && err.code === 'CANNOT_BAN_SELF') fail(ExitCode.BadInput, `${peerId} is this node's own peer id`, 'p2pnode status shows the peer id of the home\'s node', err.code)
        throw err
      })
      if (opts.json) return printJson(ban)
      process.stdout.write(`banned ${ban.peerId} until ${until(ban.until, Date.now())}: ${ban.reason}\n`)
    })

  program
    .command('unban')
    .argument('<peerId>', 'the peer id, as `p2pnode bans` prints it')
    .description('lift a ban: the peer may connect again, and discovery may bring it back')
    .addHelpText('after', '\nExamples:\n  p2pnode unban 12D3KooWRm…\n\nExit code 6 when the peer is not banned.')
    .action(async (peerId: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      parsePeerId(peerId, BANNED_HINT)
      const node = await connect(opts)
      await call(node, (c) => c.unban(peerId)).catch((err: unknown) => {
        if (err instanceof CliError && err.code === 'BAN_NOT_FOUND') fail(ExitCode.NotFound, `${peerId} is not banned`, BANNED_HINT, err.code)
        throw err
      })
      if (opts.json) return printJson({ peerId, unbanned: true })
      process.stdout.write(`unbanned ${peerId}\n`)
    })
}
