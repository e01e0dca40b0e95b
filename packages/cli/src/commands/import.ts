import { resolve } from 'node:path'
import type { Command } from 'commander'
import { importChain } from '@p2pnode/node/home'
import { printFields, printJson } from '../output.ts'
import { backupFailure, globals, openHome, progressBar, refuseWhileRunning } from './node-common.ts'
import { signerRecordJson, signerRecordOf, signerRecordText } from './signer-record.ts'

export function registerImport(program: Command): void {
  program
    .command('import')
    .description('restore a chain backup into this home, verifying every block first; the node must be stopped and its chain empty')
    .argument('<file>', 'a file written by "p2pnode export"')
    .addHelpText(
      'after',
      `
Every block is checked as sync checks it (its commit's signatures and quorum, then the block
itself); the first one that fails stops the import, naming its height, and the home is left as it
was. The home must have the backup's genesis and no blocks yet (fresh from init with the
network's genesis.json, or after "p2pnode reset --yes").

Only the chain data is replaced: the validator key's double-sign record (keys/signer-state-*.json)
stays as it is, whatever height the backup reaches, and a backup carries none. A node whose
record is ahead of the backup syncs up to it from its peers without voting, then votes again.

Examples:
  p2pnode import chain.p2pbak
  p2pnode --home /var/lib/p2pnode import /backups/p2pnode-2025-01-01.p2pbak --json`,
    )
    .action(async (file: string, _options, command: Command) => {
      const opts = globals(command)
      const loaded = await openHome(opts)
      await refuseWhileRunning(loaded, 'import')
      const bar = progressBar('importing', !opts.json)
      let header
      try {
        header = await importChain(loaded, resolve(file), bar.update)
      } catch (err) {
        backupFailure(err, loaded.paths.home)
      } finally {
        bar.end()
      }
      const signer = await signerRecordOf(loaded)
      const out = { file: resolve(file), network: header.network, entity: header.entity, height: header.height, headHash: header.headHash, stateRoot: header.stateRoot }
      if (opts.json) return printJson({ ...out, signerState: signerRecordJson(signer) })
      printFields([
        ['file', out.file],
        ['blocks', `${out.height} (every one verified)`],
        ['head', out.headHash],
        ['state root', out.stateRoot],
        ['double-sign record', `kept: ${signerRecordText(signer)}`],
      ])
    })
}
