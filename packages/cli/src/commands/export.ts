import { resolve } from 'node:path'
import type { Command } from 'commander'
import { exportChain } from '@p2pnode/node/home'
import { printFields, printJson } from '../output.ts'
import { backupFailure, globals, openHome, progressBar, refuseWhileRunning } from './node-common.ts'

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("back up the home's chain (every block with its commit) to FILE; the node must be stopped")
    .argument('<file>', 'the backup file to write')
    .addHelpText(
      'after',
      `
The file holds blocks and commits only, no keys: back up <home>/keys separately. Restore it with
"p2pnode import FILE" into a home with the same genesis.

Examples:
  p2pnode export chain.p2pbak
  p2pnode --home /var/lib/p2pnode export /backups/p2pnode-$(date +%F).p2pbak`,
    )
    .action(async (file: string, _options, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      await refuseWhileRunning(loaded, 'export')
      const bar = progressBar('exporting', !opts.json)
      let made
      try {
        made = await exportChain(loaded, resolve(file), bar.update)
      } catch (err) {
        backupFailure(err, loaded.paths.home)
      } finally {
        bar.end()
      }
      const out = { file: resolve(file), network: made.network, entity: made.entity, height: made.height, headHash: made.headHash, stateRoot: made.stateRoot, bytes: made.bytes }
      if (opts.json) return printJson(out)
      printFields([
        ['file', out.file],
        ['blocks', String(out.height)],
        ['head', out.headHash],
        ['state root', out.stateRoot],
        ['bytes', String(out.bytes)],
      ])
    })
}
