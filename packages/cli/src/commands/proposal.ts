// `proposal create ACTION ...`, `proposal vote ID`, `proposal list`: the only way the entity's
// privileged state changes (validator set, threshold, entity entries, parameters, the accounts
// admitted to an entity closed to strangers). Only validators create and vote; a proposal's id is
// the hash of the transaction that created it.

import type { Command } from 'commander'
import { MAX_ACCOUNTS_PER_ACTION, PARAM_NAMES, type ParamName, type ProposalAction, TxKind, encodeProposalCreate, encodeProposalVote, utf8 } from '@p2pnode/core'
import { call, connect } from '../client.ts'
import { ExitCode, fail } from '../errors.ts'
import type { GlobalOptions } from '../options.ts'
import { printJson, printTable, shortId } from '../output.ts'
import { parseCount, parseHex } from './input.ts'
import { type SubmitOptions, printSubmitted, submitUnsigned, withWaitOptions } from './submit.ts'

const ACTION_FORMS = [
  'validators.set PUBKEY:ACCOUNT:SHARES:POP ...   (the whole new set; `p2pnode keys show --json` prints each validator\'s values)',
  'threshold.set N/D                              (a quorum is more than N/D of the shares)',
  'entity.set KEY VALUE',
  'entity.del KEY',
  `params.set NAME VALUE                          (NAME: ${PARAM_NAMES.join(', ')}; openAccounts 0 closes the entity to strangers)`,
  `accounts.allow ACCOUNT ...                     (1..${MAX_ACCOUNTS_PER_ACTION} addresses, 40 hex: they may send when openAccounts is 0)`,
  `accounts.deny ACCOUNT ...                      (they may no longer; validators' own accounts always may)`,
]

function usage(message: string): never {
  return fail(ExitCode.BadInput, message, `ACTION is one of:\n  ${ACTION_FORMS.join('\n  ')}`)
}

function arity(type: string, args: string[], n: number): void {
  if (args.length !== n) usage(`${type} takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`)
}

/** ACTION and its arguments, as typed, to the action core encodes. */
export function parseAction(type: string, args: string[]): ProposalAction {
  switch (type) {
    case 'validators.set': {
      if (args.length === 0) usage('validators.set needs at least one PUBKEY:ACCOUNT:SHARES:POP')
      return {
        type,
        validators: args.map((arg, i) => {
          const parts = arg.split(':')
          if (parts.length !== 4) usage(`validator ${i + 1} must be PUBKEY:ACCOUNT:SHARES:POP, got "${arg}"`)
          const [publicKey, account, shares, pop] = parts as [string, string, string, string]
          return {
            publicKey: parseHex(publicKey, `validator ${i + 1} PUBKEY`, 48),
            account: parseHex(account, `validator ${i + 1} ACCOUNT`, 20),
            shares: parseCount(shares, `validator ${i + 1} SHARES`, 1),
            proofOfPossession: parseHex(pop, `validator ${i + 1} POP`, 96),
          }
        }),
      }
    }
    case 'threshold.set': {
      arity(type, args, 1)
      const match = /^(\d+)\/(\d+)$/.exec(args[0]!)
      if (!match) usage(`threshold.set takes N/D (e.g. 2/3), got "${args[0]}"`)
      const numerator = parseCount(match[1]!, 'N', 1)
      const denominator = parseCount(match[2]!, 'D', 1)
      if (numerator >= denominator) usage(`a threshold N/D must be below 1, got ${args[0]}`)
      return { type, threshold: { numerator, denominator } }
    }
    case 'entity.set':
      arity(type, args, 2)
      return { type, key: args[0]!, value: utf8(args[1]!) }
    case 'entity.del':
      arity(type, args, 1)
      return { type, key: args[0]! }
    case 'params.set': {
      arity(type, args, 2)
      if (!(PARAM_NAMES as readonly string[]).includes(args[0]!)) usage(`unknown parameter ${args[0]} (known: ${PARAM_NAMES.join(', ')})`)
      return { type, name: args[0] as ParamName, value: parseCount(args[1]!, 'VALUE') }
    }
    case 'accounts.allow':
    case 'accounts.deny': {
      if (args.length === 0 || args.length > MAX_ACCOUNTS_PER_ACTION) usage(`${type} takes 1..${MAX_ACCOUNTS_PER_ACTION} ACCOUNTs, got ${args.length}`)
      const accounts = args.map((arg, i) => parseHex(arg, `ACCOUNT ${i + 1}`, 20))
      const seen = new Set(accounts.map((a) => Buffer.from(a).toString('hex')))
      if (seen.size !== accounts.length) usage(`${type} lists an account twice`)
      return { type, accounts }
    }
    default:
      return usage(`unknown proposal action "${type}"`)
  }
}

function summary(action: unknown): string {
  const a = action as { type?: string; validators?: Array<{ publicKey: string; shares: number }>; threshold?: { numerator: number; denominator: number }; key?: string; name?: string; value?: unknown; error?: string }
  switch (a.type) {
    case 'validators.set':
      return `validators.set ${a.validators!.map((v) => `${shortId(v.publicKey, 6, 4)}=${v.shares}`).join(' ')}`
    case 'threshold.set':
      return `threshold.set ${a.threshold!.numerator}/${a.threshold!.denominator}`
    case 'entity.set':
    case 'entity.del':
      return `${a.type} ${a.key}`
    case 'params.set':
      return `params.set ${a.name} ${String(a.value)}`
    case 'accounts.allow':
    case 'accounts.deny': {
      const accounts = (action as { accounts?: unknown[] }).accounts ?? []
      const first = typeof accounts[0] === 'string' ? ` ${shortId(accounts[0], 6, 4)}` : ''
      return `${a.type}${first}${accounts.length > 1 ? ` (+${accounts.length - 1})` : ''}`
    }
    default:
      return a.error !== undefined ? `(undecodable: ${a.error})` : JSON.stringify(action)
  }
}

export function registerProposal(program: Command): void {
  const proposal = program
    .command('proposal')
    .description('proposals to change the validator set, threshold, entity entries, parameters or admitted accounts (validators only)')
    .addHelpText('after', '\nExamples:\n  p2pnode proposal create threshold.set 3/4 --wait\n  p2pnode proposal vote 7ad0…(64 hex) --wait\n  p2pnode proposal list')

  withWaitOptions(
    proposal
      .command('create')
      .argument('<action>', 'validators.set, threshold.set, entity.set, entity.del, params.set, accounts.allow or accounts.deny')
      .argument('[args...]', "the action's arguments")
      .option('--expires <blocks>', 'close the vote after this many blocks (default and maximum: the entity parameter proposalExpiry)')
      .description('propose an action; the node\'s validator votes for it by creating it'),
  )
    .addHelpText(
      'after',
      `\nACTION is one of:\n  ${ACTION_FORMS.join('\n  ')}\n\nExamples:\n  p2pnode proposal create threshold.set 3/4 --wait\n  p2pnode proposal create params.set maxBlockTxs 2000 --expires 100\n  p2pnode proposal create entity.set motd "hello validators"\n  p2pnode proposal create accounts.allow 5e2f…(40 hex) 07c2…(40 hex) --wait\n  p2pnode proposal create params.set openAccounts 0 --wait\n  p2pnode proposal create validators.set 8f3a…:5e2f…:2:a41c… 91bb…:07c2…:1:b3d0… --wait --json   # {"id", "hash", "nonce", "height"}`,
    )
    .action(async (type: string, args: string[], _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & SubmitOptions & { expires?: string }>()
      const action = parseAction(type, args)
      const expires = opts.expires === undefined ? 0 : parseCount(opts.expires, '--expires', 1)
      const node = await connect(opts)
      const result = await submitUnsigned(node, TxKind.ProposalCreate, encodeProposalCreate(action, expires), opts)
      printSubmitted(result, opts, { id: result.hash, action: type })
      if (!opts.json) process.stdout.write(`other validators vote with: p2pnode proposal vote ${result.hash}\n`)
    })

  withWaitOptions(
    proposal
      .command('vote')
      .argument('<id>', 'the proposal id (64 hex), as `proposal list` shows it')
      .description("vote for an open proposal with the node's validator"),
  )
    .addHelpText('after', '\nExamples:\n  p2pnode proposal vote 7ad0…(64 hex) --wait\n  p2pnode proposal vote 7ad0…(64 hex) --json   # {"id", "hash", "nonce", "height"}')
    .action(async (id: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & SubmitOptions>()
      const bytes = parseHex(id, 'ID', 32)
      const node = await connect(opts)
      const result = await submitUnsigned(node, TxKind.ProposalVote, encodeProposalVote(bytes), opts)
      printSubmitted(result, opts, { id: Buffer.from(bytes).toString('hex') })
    })

  proposal
    .command('list')
    .description('open proposals: action, shares voted so far, voters, expiry height')
    .addHelpText('after', '\nExamples:\n  p2pnode proposal list\n  p2pnode proposal list --json   # [{"id", "action", "creator", "shares", "expiresAt", "voters"}]')
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(opts)
      const [proposals, entity] = await Promise.all([call(node, (c) => c.proposals()), call(node, (c) => c.entity())])
      if (opts.json) return printJson(proposals)
      if (proposals.length === 0) {
        process.stdout.write('no open proposals\n')
        return
      }
      const total = entity.validators.reduce((sum, v) => sum + v.shares, 0)
      const { numerator, denominator } = entity.threshold
      process.stdout.write(`a proposal passes with more than ${numerator}/${denominator} of ${total} shares; height ${entity.height}\n\n`)
      printTable(
        ['ID', 'ACTION', 'SHARES', 'VOTERS', 'EXPIRES AT'],
        proposals.map((p) => [p.id, summary(p.action), `${p.shares}/${total}`, String(p.voters.length), String(p.expiresAt)]),
      )
    })
}
