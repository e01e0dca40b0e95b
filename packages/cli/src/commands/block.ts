// `block get HEIGHT|HASH` and `block head`: a committed block, its transactions and its commit.

import type { Command } from 'commander'
import type { BlockView } from '@p2pnode/node'
import { call, connect } from '../client.ts'
import { ExitCode, fail } from '../errors.ts'
import type { GlobalOptions } from '../options.ts'
import { printFields, printJson, printTable, shortId } from '../output.ts'
import { parseCount, parseHash } from './input.ts'

function printBlock(b: BlockView, json: boolean | undefined): void {
  if (json) return printJson(b)
  printFields([
    ['height', String(b.height)],
    ['hash', b.hash],
    ['parent', b.parentHash],
    ['time', new Date(b.time).toISOString()],
    ['proposer', `validator ${b.proposer}`],
    ['state root', b.stateRoot],
    ['txs hash', b.txsHash],
    ['validators', b.validatorsHash],
    ['commit', b.commit === null ? '-' : `round ${b.commit.round}, signed by validators ${b.commit.signers.join(', ')}`],
    ['txs', String(b.txs.length)],
  ])
  if (b.txs.length === 0) return
  process.stdout.write('\n')
  printTable(
    ['HASH', 'KIND', 'ACCOUNT', 'NONCE'],
    b.txs.map((tx) => [shortId(tx.hash, 10, 6), tx.kind, shortId(tx.account, 8, 4), String(tx.nonce)]),
  )
}

export function registerBlock(program: Command): void {
  const block = program
    .command('block')
    .description('committed blocks')
    .addHelpText('after', '\nExamples:\n  p2pnode block head\n  p2pnode block get 42 --json')

  block
    .command('get')
    .argument('<id>', 'a height, or a block hash (64 hex)')
    .description('a committed block by height or hash, with its transactions')
    .addHelpText('after', '\nExamples:\n  p2pnode block get 42\n  p2pnode block get 8c1d…(64 hex) --json\n\nExit code 6 when the node has no such block.')
    .action(async (id: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const key = /^\d+$/.test(id) ? parseCount(id, 'HEIGHT') : /^(0x)?[0-9a-fA-F]{64}$/.test(id) ? parseHash(id, 'HASH') : fail(ExitCode.BadInput, `"${id}" is neither a height nor a block hash (64 hex)`)
      const node = await connect(opts)
      const b = await call(node, (c) => c.block(key))
      if (b === null) {
        fail(ExitCode.NotFound, `the node has no block ${typeof key === 'number' ? `at height ${key}` : key}`, 'p2pnode block head shows the latest one')
      }
      printBlock(b, opts.json)
    })

  block
    .command('head')
    .description('the latest committed block')
    .addHelpText('after', '\nExamples:\n  p2pnode block head\n  p2pnode block head --json   # {"height", "hash", "parentHash", "time", "stateRoot", "txs", "commit", ...}')
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(opts)
      printBlock(await call(node, (c) => c.head()), opts.json)
    })
}
