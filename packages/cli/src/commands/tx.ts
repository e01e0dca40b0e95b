// `tx counter-add N` (a transaction signed by the node's account) and `tx status HASH`.

import type { Command } from 'commander'
import { TxKind, encodeCounterAdd } from '@p2pnode/core'
import { call, connect } from '../client.ts'
import { ExitCode, fail } from '../errors.ts'
import type { GlobalOptions } from '../options.ts'
import { printFields, printJson } from '../output.ts'
import { parseCount, parseHash } from './input.ts'
import { type SubmitOptions, printSubmitted, submitUnsigned, withWaitOptions } from './submit.ts'

export function registerTx(program: Command): void {
  const tx = program
    .command('tx')
    .description('submit transactions signed by the node account, follow them')
    .addHelpText('after', '\nExamples:\n  p2pnode tx counter-add 5 --wait\n  p2pnode tx status 3f1c…(64 hex)')

  withWaitOptions(
    tx
      .command('counter-add')
      .argument('<n>', 'how much to add to the shared counter')
      .description("add N to the entity's counter (kind counter.add), signed by the node's account key"),
  )
    .addHelpText('after', '\nExamples:\n  p2pnode tx counter-add 5\n  p2pnode tx counter-add 1 --wait --timeout 60\n  p2pnode tx counter-add 1 --wait --json   # {"hash", "nonce", "height"}')
    .action(async (n: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & SubmitOptions>()
      const amount = parseCount(n, 'N')
      const node = await connect(opts)
      const result = await submitUnsigned(node, TxKind.CounterAdd, encodeCounterAdd(amount), opts)
      printSubmitted(result, opts, { kind: TxKind.CounterAdd, amount })
    })

  tx.command('status')
    .argument('<hash>', 'the transaction hash (64 hex) that submission printed')
    .description('whether a transaction is pending, committed (at which height) or rejected')
    .addHelpText('after', '\nExamples:\n  p2pnode tx status 9b0e…(64 hex)\n  p2pnode tx status 9b0e…(64 hex) --json\n\nExit code 6 when the node knows nothing of the hash.')
    .action(async (hash: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const id = parseHash(hash, 'HASH')
      const node = await connect(opts)
      const s = await call(node, (c) => c.transactionStatus(id))
      if (opts.json) printJson(s)
      else {
        const fields: Array<[string, string]> = [['hash', s.hash], ['status', s.status]]
        if (s.status === 'committed') fields.push(['height', String(s.height)], ['index', String(s.index)])
        if (s.status === 'rejected') fields.push(['code', s.code], ['reason', s.message])
        printFields(fields)
      }
      if (s.status === 'unknown') {
        fail(ExitCode.NotFound, `the node knows no transaction ${id}`, 'a node forgets refused transactions when it restarts; check the hash')
      }
    })
}
