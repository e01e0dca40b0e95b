import type { Command } from 'commander'
import { HomeError, identityOf, initHome, peerIdOfHome, signerStatePath, validatorPublicKeyOf } from '@p2pnode/node/home'
import { homeError } from '../client.ts'
import { printFields, printJson } from '../output.ts'
import { resolveHome } from '../options.ts'
import { ExitCode, addConfigFlags, configFromFlags, fail, globals } from './node-common.ts'

export function registerInit(program: Command): void {
  addConfigFlags(
    program
      .command('init')
      .description('create a node home: node, validator and account keys, API token, config and a one-validator genesis')
      .option('--network <name>', 'the network name (default: p2pnode)')
      .option('--force', 'overwrite an existing home, keys included (double-sign records stay)'),
  )
    .addHelpText(
      'after',
      `
The keys and the API token are written with mode 0600. The genesis made here has this node as
its only validator, so that "p2pnode start" commits blocks at once; for a network of several
operators replace <home>/genesis.json with the shared one (see "p2pnode genesis --help").

--force makes new keys: never use it on a validator that is in a genesis. The double-sign records
in <home>/keys (signer-state-<key>.json, one per validator key) are never deleted by init: the
old key's record stays under the old key's name, and applies only to that key.

Examples:
  p2pnode init
  p2pnode --home /var/lib/p2pnode init --network mynet --listen /ip4/0.0.0.0/tcp/7400
  p2pnode init --bootstrap /ip4/203.0.113.7/tcp/7400/p2p/12D3KooW... --api 127.0.0.1:7401`,
    )
    .action(async (options: { network?: string; force?: boolean; listen?: string[]; api?: string; bootstrap?: string[] }, command: Command) => {
      const opts = globals(command)
      const home = resolveHome(opts)
      const config = await configFromFlags(options)
      if (options.network !== undefined && !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(options.network)) {
        fail(ExitCode.BadInput, `--network: ${JSON.stringify(options.network)} is not a network name`, 'use 1..64 of a-z 0-9 . _ - (e.g. mynet)')
      }
      let made
      try {
        made = await initHome(home, { ...(options.network ? { network: options.network } : {}), config, ...(options.force ? { force: true } : {}) })
      } catch (err) {
        if (err instanceof HomeError) throw homeError(err, home)
        if (err instanceof Error && err.name === 'ConfigError') fail(ExitCode.BadInput, err.message)
        throw err
      }
      const id = identityOf(made.keys)
      const peerId = await peerIdOfHome(home)
      const out = { home, network: made.genesis.network, peerId, ...id, config: made.paths.config, genesis: made.paths.genesis, signerStates: made.signerStates }
      if (opts.json) return printJson(out)
      printFields([
        ['home', home],
        ['network', out.network],
        ['peer id', peerId],
        ['validator key', id.validatorPublicKey],
        ['account', id.accountAddress],
        ['config', out.config],
        ...made.signerStates.map((path): [string, string] => ['kept double-sign record', path === signerStatePath(made.paths.keys, validatorPublicKeyOf(made.keys)) ? path : `${path} (an earlier validator key's)`]),
      ])
      process.stdout.write(`\nstart it with: p2pnode --home ${home} start\n`)
    })
}
