// `kv set/del` (entries in the node account's own namespace, signed by its key) and `kv get/keys`
// (anyone's entries, `<account hex>/<key>`), with `--prove` checked locally (kv-proof.ts).

import type { Command } from 'commander'
import { MAX_KV_KEY, MAX_KV_VALUE, TxKind, encodeKvDel, encodeKvSet, utf8 } from '@p2pnode/core'
import { type Connected, call, connect } from '../client.ts'
import { ExitCode, fail } from '../errors.ts'
import type { GlobalOptions } from '../options.ts'
import { printFields, printJson, printLine } from '../output.ts'
import { parseCount, parseHex } from './input.ts'
import { verifyKvProof } from './kv-proof.ts'
import { type SubmitOptions, printSubmitted, submitUnsigned, withWaitOptions } from './submit.ts'

export const DEFAULT_KEYS_LIMIT = 100
const ACCOUNT_KEY = /^[0-9a-f]{40}\/.+$/

function checkKey(key: string): string {
  if (key.length === 0) fail(ExitCode.BadInput, 'KEY must not be empty')
  if (utf8(key).length > MAX_KV_KEY) fail(ExitCode.BadInput, `KEY is longer than ${MAX_KV_KEY} bytes`)
  return key
}

/** The node's account address: set/del write under it, and the output names the full key. */
async function accountOf(node: Connected): Promise<string> {
  return (await call(node, (c) => c.status())).accountAddress
}

export function registerKv(program: Command): void {
  const kv = program
    .command('kv')
    .description("key/value entries: each account writes its own namespace, anyone reads any")
    .addHelpText('after', '\nExamples:\n  p2pnode kv set greeting hello --wait\n  p2pnode kv get 5e2f…(40 hex)/greeting --prove\n  p2pnode kv keys --prefix 5e2f…(40 hex)/')

  withWaitOptions(
    kv
      .command('set')
      .argument('<key>', "the key inside the node account's namespace")
      .argument('<value>', 'the value: text, or hex with --hex')
      .option('--hex', 'VALUE is hex bytes, not text')
      .description("set KEY to VALUE in the node account's namespace (kind kv.set)"),
  )
    .addHelpText('after', '\nExamples:\n  p2pnode kv set greeting "hello world" --wait\n  p2pnode kv set blob 00ff10 --hex --json   # {"key": "<account>/blob", "hash", "nonce", "height"}')
    .action(async (key: string, value: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & SubmitOptions & { hex?: boolean }>()
      const bytes = opts.hex ? parseHex(value, 'VALUE') : utf8(value)
      if (bytes.length > MAX_KV_VALUE) fail(ExitCode.BadInput, `VALUE is ${bytes.length} bytes, more than ${MAX_KV_VALUE}`)
      const node = await connect(opts)
      const account = await accountOf(node)
      const result = await submitUnsigned(node, TxKind.KvSet, encodeKvSet(checkKey(key), bytes), opts)
      printSubmitted(result, opts, { key: `${account}/${key}` })
    })

  withWaitOptions(
    kv
      .command('del')
      .argument('<key>', "the key inside the node account's namespace")
      .description("delete KEY from the node account's namespace (kind kv.del)"),
  )
    .addHelpText('after', '\nExamples:\n  p2pnode kv del greeting --wait')
    .action(async (key: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & SubmitOptions>()
      const node = await connect(opts)
      const account = await accountOf(node)
      const result = await submitUnsigned(node, TxKind.KvDel, encodeKvDel(checkKey(key)), opts)
      printSubmitted(result, opts, { key: `${account}/${key}` })
    })

  kv.command('get')
    .argument('<key>', '<account hex (40)>/<key>; `p2pnode status` shows the node account')
    .option('--prove', 'ask for a proof and verify it against the state root before printing')
    .description("an entry's value at the node's head, optionally proven")
    .addHelpText(
      'after',
      '\nExamples:\n  p2pnode kv get 5e2f…(40 hex)/greeting\n  p2pnode kv get 5e2f…(40 hex)/greeting --prove --json   # {"key", "found", "value", "hex", "height", "stateRoot", "proof"}\n\nWith --prove a proof that does not verify is an error (exit 1) and nothing is printed.',
    )
    .action(async (key: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & { prove?: boolean }>()
      if (!ACCOUNT_KEY.test(key)) {
        fail(ExitCode.BadInput, `KEY must be <account hex (40 digits)>/<key>, got "${key}"`, "the node's own account is in `p2pnode status`; kv set prints the full key")
      }
      const node = await connect(opts)
      const view = await call(node, (c) => c.kvGet(key, { prove: opts.prove === true }))
      if (opts.prove) {
        verifyKvProof(view)
        // the root must be the committed block's, not just any root the node made up
        if (view.height > 0) {
          const block = await call(node, (c) => c.block(view.height))
          if (block === null || block.stateRoot !== view.stateRoot) {
            fail(ExitCode.Failure, `the node's proof for ${key} is against ${view.stateRoot}, not the state root of block ${view.height}`, 'the node may be faulty; do not trust its answer', 'PROOF_INVALID')
          }
        }
      }
      const out = { key: view.key, found: view.value !== null, value: view.text, hex: view.value, height: view.height, stateRoot: view.stateRoot, ...(opts.prove ? { proof: view.proof, verified: true } : {}) }
      if (opts.json) return printJson(out)
      const fields: Array<[string, string]> = [['key', view.key]]
      if (view.value === null) fields.push(['value', '(absent)'])
      else fields.push(['value', view.text ?? `0x${view.value}`], ['bytes', String(view.value.length / 2)])
      fields.push(['height', String(view.height)], ['state root', view.stateRoot])
      if (opts.prove) fields.push(['proof', `verified against the state root of block ${view.height} (${view.proof!.length / 2} bytes)`])
      printFields(fields)
    })

  kv.command('keys')
    .option('--prefix <prefix>', 'only keys starting with it: <account hex> or <account hex>/<key prefix>', '')
    .option('--limit <n>', `at most this many keys (default ${DEFAULT_KEYS_LIMIT})`)
    .description('list entry keys (<account>/<key>), in state order')
    .addHelpText('after', '\nExamples:\n  p2pnode kv keys\n  p2pnode kv keys --prefix 5e2f…(40 hex)/user/ --limit 10 --json   # ["<account>/<key>", ...]')
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & { prefix: string; limit?: string }>()
      const limit = opts.limit === undefined ? DEFAULT_KEYS_LIMIT : parseCount(opts.limit, '--limit', 1)
      const node = await connect(opts)
      const keys = await call(node, (c) => c.kvKeys(opts.prefix, limit))
      if (opts.json) return printJson(keys)
      if (keys.length === 0) printLine(`no keys${opts.prefix ? ` start with ${opts.prefix}` : ''}`)
      // keys are whatever a transaction named: never raw control characters on a terminal
      for (const key of keys) printLine(key)
    })
}

