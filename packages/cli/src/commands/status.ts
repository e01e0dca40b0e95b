import type { Command } from 'commander'
import { call, connect } from '../client.ts'
import { duration, printFields, printJson } from '../output.ts'
import type { GlobalOptions } from '../options.ts'

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("the node's height, head, sync state, peers and role")
    .addHelpText(
      'after',
      '\nExamples:\n  p2pnode status\n  p2pnode --home /var/lib/p2pnode status --json   # {"peerId", "network", "height", "headHash", "stateRoot", "syncing", "peers", "validator", "mempool", ...}',
    )
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(opts)
      const s = await call(node, (c) => c.status())
      if (opts.json) return printJson(s)
      printFields([
        ['network', s.network],
        ['peer id', s.peerId],
        ['height', String(s.height)],
        ['head', s.headHash],
        ['state root', s.stateRoot],
        ['last block', `${duration(Date.now() - s.headTime)} ago`],
        ['syncing', s.syncing ? `yes (best peer at ${s.bestPeerHeight})` : s.syncBlocked ? `cannot: every peer ahead pruned height ${s.syncBlocked.need} (they serve from ${s.syncBlocked.peersServeFrom})` : 'no'],
        ['blocks', s.servesFrom > 1 ? `${s.servesFrom}..${s.height} (older ones pruned)` : 'all kept'],
        ['consensus', `round ${s.round}, ${s.step}`],
        ['peers', String(s.peers)],
        ['role', s.validator ? `validator ${s.validatorIndex}` : 'follower'],
        ['account', s.accountAddress],
        ['mempool', `${s.mempool.size} txs, ${s.mempool.bytes} bytes`],
        ...(s.entities.length > 1
          ? ([['entities', s.entities.slice(1).map((e) => `${e.name || e.id.slice(0, 12)} ${e.role} at ${e.height}${e.syncing ? ' (syncing)' : ''}`).join(', ')]] as Array<[string, string]>)
          : []),
      ])
    })
}
