import type { Command } from 'commander'
import { identityOf } from '@p2pnode/node/home'
import { printFields, printJson } from '../output.ts'
import { globals, openHome } from './node-common.ts'

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
    .action(async (_options, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      const id = identityOf(loaded.keys)
      if (opts.json) return printJson({ network: loaded.config.network, ...id })
      printFields([
        ['network', loaded.config.network],
        ['validator public key', id.validatorPublicKey],
        ['proof of possession', id.proofOfPossession],
        ['account public key', id.accountPublicKey],
        ['account address', id.accountAddress],
      ])
    })
}
