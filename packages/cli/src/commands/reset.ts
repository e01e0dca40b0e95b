import { rm, stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { openChainData, removeSignerState, validatorPublicKeyOf } from '@p2pnode/node/home'
import { printJson } from '../output.ts'
import { UNSAFE_RESET_SIGNER_FLAG } from '../options.ts'
import { ExitCode, backupFailure, fail, globals, openHome, refuseWhileRunning } from './node-common.ts'
import { SIGNER_RESET_WARNING, signerRecordJson, signerRecordOf, signerRecordText } from './signer-record.ts'

export function registerReset(program: Command): void {
  program
    .command('reset')
    .description('delete the chain data (<home>/data); keys, the double-sign record, config, genesis and the p2p identity stay')
    .option('--yes', 'really delete it')
    .option(UNSAFE_RESET_SIGNER_FLAG, "also delete this validator key's double-sign record (keys/signer-state-*.json): see the warning below")
    .addHelpText(
      'after',
      `
The node must be stopped. When it starts again it syncs the chain from its peers (or, alone,
starts over from genesis). To keep a copy first: p2pnode export FILE.

The validator key's double-sign record (keys/signer-state-<key>.json: the last height, round and
step it signed) is kept, so that the node never signs twice at a height it already voted at.
${UNSAFE_RESET_SIGNER_FLAG} deletes it too. Use it only when the whole network starts over from
genesis, or once the network is past the last height this key voted at; never to make a copy of
a validator run elsewhere.

Examples:
  p2pnode reset --yes
  p2pnode --home /var/lib/p2pnode reset --yes`,
    )
    .action(async (options: { yes?: boolean; unsafeResetSigner?: boolean }, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      const data = loaded.paths.data
      if (!options.yes) fail(ExitCode.Usage, `reset deletes the chain data in ${data}; refusing without --yes`, `p2pnode --home ${loaded.paths.home} reset --yes`)
      await refuseWhileRunning(loaded, 'reset')
      const present = await stat(data).then(() => true, () => false)
      if (present) {
        // The API may listen elsewhere (another P2PNODE_API): the database lock is the sure sign.
        try {
          await (await openChainData(data)).close()
        } catch (err) {
          backupFailure(err, loaded.paths.home)
        }
        await rm(data, { recursive: true, force: true })
      }
      const removed = options.unsafeResetSigner ? await removeSignerState(loaded.paths.keys, validatorPublicKeyOf(loaded.keys)) : false
      if (options.unsafeResetSigner) process.stderr.write(`${removed ? 'deleted' : 'there was no'} double-sign record of this key\n${SIGNER_RESET_WARNING}`)
      const signer = await signerRecordOf(loaded)
      if (opts.json) return printJson({ home: loaded.paths.home, deleted: data, existed: present, signerState: { ...signerRecordJson(signer), removed } })
      process.stdout.write(present ? `deleted the chain data in ${data}; keys, config and genesis kept\n` : `no chain data in ${data}; nothing to delete\n`)
      if (!options.unsafeResetSigner) process.stdout.write(`double-sign record kept: ${signerRecordText(signer)}\n`)
    })
}
