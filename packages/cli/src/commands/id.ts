import type { Command } from 'commander'
import { identityOf, peerIdOfHome } from '@p2pnode/node/home'
import { printFields, printJson } from '../output.ts'
import { globals, openHome } from './node-common.ts'

export function registerId(program: Command): void {
  program
    .command('id')
    .description("the node's peer id, listen and announce addresses, validator public key and account address (no running node needed)")
    .addHelpText(
      'after',
      `
"multiaddrs" are what other operators put in their --bootstrap: the announce addresses (else the
listen addresses) with /p2p/<peer id>. A listen address of 0.0.0.0 must be replaced by the
machine's public IP there, or set one with P2PNODE_ANNOUNCE / config p2p.announce.

Examples:
  p2pnode id
  p2pnode --home /var/lib/p2pnode id --json`,
    )
    .action(async (_options, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      const peerId = await peerIdOfHome(loaded.paths.home)
      const keys = identityOf(loaded.keys)
      const { listen, announce } = loaded.config.p2p
      const multiaddrs = (announce.length > 0 ? announce : listen).map((a) => `${a}/p2p/${peerId}`)
      const out = { peerId, network: loaded.config.network, listen, announce, multiaddrs, validatorPublicKey: keys.validatorPublicKey, accountAddress: keys.accountAddress }
      if (opts.json) return printJson(out)
      printFields([
        ['peer id', peerId],
        ['network', out.network],
        ['listen', listen.join(', ')],
        ['announce', announce.length > 0 ? announce.join(', ') : '(none: peers learn addresses from identify)'],
        ['multiaddrs', multiaddrs.join(', ')],
        ['validator key', keys.validatorPublicKey],
        ['account', keys.accountAddress],
      ])
    })
}
