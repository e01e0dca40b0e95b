import type { Command } from 'commander'
import { addValidatorKey, identityOf, validatorIdentity, validatorSeeds } from '@p2pnode/node/home'
import { ExitCode, fail } from '../errors.ts'
import { printFields, printJson, printLine, printTable } from '../output.ts'
import { globals, nodeAnswers, openHome } from './node-common.ts'

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description("the home's keys")
  keys
    .command('show')
    .exitOverride()
    .description('validator public key, its proof of possession, account public key and address: what a genesis needs from each operator')
    .addHelpText(
      'after',
      `
The private keys stay in <home>/keys; this prints only public data. Send the --json output to
whoever builds the genesis ("p2pnode genesis --from-keys").

Examples:
  p2pnode keys show
  p2pnode --home /var/lib/p2pnode keys show --json > alice.json`,
    )
    .option('--key <prefix>', 'another validator key of the home (keys list), by the start of its public key')
    .action(async (options: { key?: string }, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      const id = { ...identityOf(loaded.keys), ...(options.key === undefined ? {} : pickKey(validatorSeeds(loaded.keys), options.key)) }
      if (opts.json) return printJson({ network: loaded.config.network, ...id })
      printFields([
        ['network', loaded.config.network],
        ['validator public key', id.validatorPublicKey],
        ['proof of possession', id.proofOfPossession],
        ['account public key', id.accountPublicKey],
        ['account address', id.accountAddress],
      ])
    })

  keys
    .command('add')
    .exitOverride()
    .description('add a validator key to the home (keys/validators/): the node validates with it in every entity whose set names it')
    .addHelpText(
      'after',
      `
The node reads its keys when it starts: restart it to use a key added while it runs. Each key keeps
its own double-sign record beside it. "p2pnode keys show --key PREFIX --json" prints the new key
with the account, as "p2pnode entity create --from-keys" and "proposal create validators.set" want.

Examples:
  p2pnode keys add
  p2pnode keys add --json   # {"validatorPublicKey", "proofOfPossession"}`,
    )
    .action(async (_options, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      const added = await addValidatorKey(loaded.paths.home)
      if (opts.json) return printJson(added)
      printFields([
        ['validator public key', added.validatorPublicKey],
        ['proof of possession', added.proofOfPossession],
      ])
      if (await nodeAnswers(loaded)) printLine('the node is running: restart it to validate with this key')
    })

  keys
    .command('list')
    .exitOverride()
    .description("the home's validator keys (the primary one first) and its account")
    .addHelpText('after', '\nExamples:\n  p2pnode keys list\n  p2pnode keys list --json   # {"account", "validators": [{"validatorPublicKey", "proofOfPossession", "primary"}]}')
    .action(async (_options, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      const validators = validatorSeeds(loaded.keys).map((seed, i) => ({ ...validatorIdentity(seed), primary: i === 0 }))
      const account = identityOf(loaded.keys).accountAddress
      if (opts.json) return printJson({ account, validators })
      printTable(['validator public key', 'primary'], validators.map((v) => [v.validatorPublicKey, v.primary ? 'yes' : '']))
      printLine(`account ${account}`)
    })
}

/** The validator key whose public key starts with `prefix` (hex), as `keys show` prints a key. */
function pickKey(seeds: Uint8Array[], prefix: string): ReturnType<typeof validatorIdentity> {
  const matches = seeds.map(validatorIdentity).filter((k) => k.validatorPublicKey.startsWith(prefix.toLowerCase()))
  if (matches.length !== 1) fail(matches.length === 0 ? ExitCode.NotFound : ExitCode.BadInput, `${matches.length === 0 ? 'no' : 'more than one'} validator key of this home starts with ${prefix}`, 'p2pnode keys list')
  return matches[0]!
}
