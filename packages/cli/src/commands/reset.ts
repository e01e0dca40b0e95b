import { rm, stat } from 'node:fs/promises'
import type { Command } from 'commander'
import { openChainData } from '@p2pnode/node/home'
import { printJson } from '../output.ts'
import { ExitCode, backupFailure, fail, globals, openHome, refuseWhileRunning } from './node-common.ts'

export function registerReset(program: Command): void {
  program
    .command('reset')
    .description('delete the chain data (<home>/data); keys, config, genesis and the p2p identity stay')
    .option('--yes', 'really delete it')
    .addHelpText(
      'after',
      `
The node must be stopped. When it starts again it syncs the chain from its peers (or, alone,
starts over from genesis). To keep a copy first: p2pnode export FILE.

Examples:
  p2pnode reset --yes
  p2pnode --home /var/lib/p2pnode reset --yes`,
    )
    .action(async (options: { yes?: boolean }, command: Command) => {
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
      if (opts.json) return printJson({ home: loaded.paths.home, deleted: data, existed: present })
      process.stdout.write(present ? `deleted the chain data in ${data}; keys, config and genesis kept\n` : `no chain data in ${data}; nothing to delete\n`)
    })
}
