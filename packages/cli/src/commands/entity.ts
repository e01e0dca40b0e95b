// `entity create`, `entity show ID|NAME [--prove]`, `entity registry`: the root entity's registry
// of entities (core machines/registry.ts). An entity is registered by its genesis, signed into an
// entity.create transaction by the node's account; its id is the hash of that genesis. `--prove`
// checks the node's answer locally against the root's state root before printing it.

import type { Command } from 'commander'
import { MAX_TX_PAYLOAD, TxKind, encodeEntityCreate, genesisId, toHex } from '@p2pnode/core'
import type { RegistryEntryView } from '@p2pnode/node'
import { type GenesisJson, genesisFromJson, identityOf } from '@p2pnode/node/home'
import { call, connect } from '../client.ts'
import { ExitCode, fail } from '../errors.ts'
import type { GlobalOptions } from '../options.ts'
import { printFields, printJson, printLine, printTable, shortId } from '../output.ts'
import { verifyRegistryProof } from './entity-proof.ts'
import { fromKeysFile, parseThreshold, parseValidator } from './genesis.ts'
import { parseCount } from './input.ts'
import { openHome } from './node-common.ts'
import { type SubmitOptions, printSubmitted, submitUnsigned, withWaitOptions } from './submit.ts'

export const DEFAULT_REGISTRY_LIMIT = 100

/** The registry and the hosted set are the root's and the node's: --entity does not apply. */
function rootScoped<T extends GlobalOptions>(opts: T): T {
  const { entity: _ignored, ...rest } = opts
  return rest as T
}

interface CreateOptions extends GlobalOptions, SubmitOptions {
  name?: string
  fromKeys?: string[]
  validator?: string[]
  threshold?: string
  time?: string
}

/** The validators the options name; the node's own validator key when they name none. */
async function validatorsOf(opts: CreateOptions): Promise<GenesisJson['validators']> {
  const validators: GenesisJson['validators'] = []
  for (const file of opts.fromKeys ?? []) validators.push(await fromKeysFile(file))
  for (const spec of opts.validator ?? []) validators.push(parseValidator(spec))
  if (validators.length > 0) return validators
  const id = identityOf((await openHome(opts)).keys)
  return [{ publicKey: id.validatorPublicKey, account: id.accountAddress, shares: 1, proofOfPossession: id.proofOfPossession }]
}

function validatorLines(entry: RegistryEntryView): string[][] {
  return entry.genesis.validators.map((v, i) => [String(i), v.publicKey.slice(0, 16), v.account, String(v.shares)])
}

export function registerEntity(program: Command): void {
  const entity = program
    .command('entity')
    .description("entities of the network: the root entity's registry, and those this node hosts")
    .addHelpText('after', '\nExamples:\n  p2pnode entity create --name payments --from-keys alice.json bob.json carol.json --wait\n  p2pnode entity show payments --prove\n  p2pnode entity registry\n  p2pnode entity list')

  withWaitOptions(
    entity
      .command('create')
      .option('--name <name>', 'a unique name for it (a-z 0-9 . _ -, starting with a letter)')
      .option('--from-keys <files...>', 'its validators: outputs of "p2pnode keys show --json" (FILE:SHARES for more than one share)')
      .option('--validator <specs...>', 'its validators given by hand, each PUBKEY:ACCOUNT:SHARES:POP')
      .option('--threshold <fraction>', 'share of votes that commits a block (default 2/3, strictly more than)')
      .option('--time <iso>', 'genesis time (default: now)')
      .description("register an entity in the root entity (kind entity.create, signed by the node's account); prints its id"),
  )
    .addHelpText(
      'after',
      `
Without --from-keys or --validator the entity's one validator is this node's own key. Every proof
of possession is checked. The genesis must fit a transaction's payload (${MAX_TX_PAYLOAD} bytes:
about 45 validators). The root's maxEntitiesPerAccount and maxEntitiesPerBlock bound how many
entities an account, and a block, may register (docs/architecture.md, "The registry").

Examples:
  p2pnode entity create --wait
  p2pnode entity create --name shop --from-keys alice.json bob.json carol.json:2 --threshold 3/4 --wait --json   # {"id", "name", "hash", "nonce", "height"}`,
    )
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<CreateOptions>()
      const validators = await validatorsOf(opts)
      const time = opts.time ?? new Date().toISOString()
      if (Number.isNaN(Date.parse(time))) fail(ExitCode.BadInput, `--time ${time}: not a date`, 'for example --time 2025-01-01T00:00:00Z')
      const node = await connect(rootScoped(opts))
      const { network } = await call(node, (c) => c.status())
      const json: GenesisJson = { network, time, validators, ...(opts.threshold ? { threshold: parseThreshold(opts.threshold) } : {}) }
      let payload: Uint8Array
      let id: string
      try {
        const genesis = genesisFromJson(json)
        payload = encodeEntityCreate(genesis, opts.name ?? '')
        id = toHex(genesisId(genesis))
      } catch (err) {
        return fail(ExitCode.BadInput, `the entity's genesis is not valid: ${(err as Error).message}`, 'check each validator\'s keys against its "p2pnode keys show" output', (err as { code?: string }).code)
      }
      if (payload.length > MAX_TX_PAYLOAD) fail(ExitCode.BadInput, `the genesis takes ${payload.length} bytes, more than a transaction's ${MAX_TX_PAYLOAD}`, 'fewer validators')
      const result = await submitUnsigned(node, TxKind.EntityCreate, payload, opts)
      printSubmitted(result, opts, { id, ...(opts.name ? { name: opts.name } : {}) })
    })

  entity
    .command('show')
    .argument('<entity>', 'its id (64 hex) or name')
    .option('--prove', "verify the node's answer against the root's state root before printing")
    .description('a registered entity: its genesis (validators, threshold, parameters), name, creator and height')
    .addHelpText('after', '\nExamples:\n  p2pnode entity show payments\n  p2pnode entity show 3f9a…(64 hex) --prove --json   # {"entry", "height", "stateRoot", "proof", "verified"}\n\nWith --prove a proof that does not verify is an error (exit 1) and nothing is printed.')
    .action(async (name: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & { prove?: boolean }>()
      const node = await connect(rootScoped(opts))
      const view = await call(node, (c) => c.registryEntry(name, { prove: opts.prove === true }))
      if (opts.prove) {
        verifyRegistryProof(view, name)
        // the root must be the committed block's, not just any root the node made up (the
        // registry is empty at genesis, so a proof at height 0 is refused)
        const block = view.height > 0 ? await call(node, (c) => c.block(view.height)) : null
        if (block === null || block.stateRoot !== view.stateRoot) {
          fail(ExitCode.Failure, `the node's proof for ${name} is against ${view.stateRoot}, not the state root of block ${view.height}`, 'the node may be faulty; do not trust its answer', 'PROOF_INVALID')
        }
      }
      if (opts.json) return printJson({ ...view, ...(opts.prove ? { verified: true } : {}) })
      const { entry } = view
      const t = entry.genesis.threshold
      printFields([
        ['id', entry.id],
        ['name', entry.name || '(none)'],
        ['network', entry.genesis.network],
        ['genesis time', String(entry.genesis.time)],
        ['threshold', t ? `${t.numerator}/${t.denominator}` : '2/3'],
        ['registered', `at root height ${entry.height} by ${entry.creator}`],
        ...(opts.prove ? ([['proof', `verified against the state root of root block ${view.height} (${view.proof!.length / 2} bytes)`]] as Array<[string, string]>) : []),
      ])
      printTable(['#', 'validator key', 'account', 'shares'], validatorLines(entry))
    })

  entity
    .command('join')
    .argument('<entity>', 'its id (64 hex) or name, as registered in the root')
    .description('host a registered entity: follow it, or validate it when this node\'s key is in its set (no restart)')
    .addHelpText('after', '\nThe node must have the root entity at the height that registered it. The join is kept across restarts.\n\nExamples:\n  p2pnode entity join payments\n  p2pnode entity join 3f9a…(64 hex) --json')
    .action(async (name: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(rootScoped(opts))
      const joined = await call(node, (c) => c.joinEntity(name))
      if (opts.json) return printJson(joined)
      printLine(`hosting ${joined.name || joined.id} (${joined.id}) as ${joined.role} at height ${joined.height}`)
    })

  entity
    .command('leave')
    .argument('<entity>', 'its id (64 hex) or name')
    .description('stop hosting an entity joined before (its chain stays on disk for a later join)')
    .addHelpText('after', '\nExamples:\n  p2pnode entity leave payments')
    .action(async (name: string, _options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(rootScoped(opts))
      await call(node, (c) => c.leaveEntity(name))
      if (opts.json) return printJson({ left: name })
      printLine(`no longer hosting ${name}`)
    })

  entity
    .command('list')
    .description('the entities this node hosts: role, height, validators online, peers')
    .addHelpText('after', '\nExamples:\n  p2pnode entity list\n  p2pnode entity list --json   # [{"id", "name", "root", "role", "height", "validators", "validatorsOnline", "peers", "syncing", "mempool"}]')
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions>()
      const node = await connect(rootScoped(opts))
      const hosted = await call(node, (c) => c.entities())
      if (opts.json) return printJson(hosted)
      printTable(
        ['id', 'name', 'role', 'height', 'validators online', 'peers', 'mempool'],
        hosted.map((e) => [shortId(e.id), e.name || '-', e.syncing ? `${e.role} (syncing)` : e.role, String(e.height), `${e.validatorsOnline}/${e.validators}`, String(e.peers), String(e.mempool)]),
      )
    })

  entity
    .command('registry')
    .option('--from <n>', 'from this index (0: the first registered)')
    .option('--limit <n>', `at most this many (default ${DEFAULT_REGISTRY_LIMIT})`)
    .description('the entities registered in the root entity, in the order they were registered')
    .addHelpText('after', '\nExamples:\n  p2pnode entity registry\n  p2pnode entity registry --from 100 --limit 50 --json   # {"count", "entities": [...]}')
    .action(async (_options, command: Command) => {
      const opts = command.optsWithGlobals<GlobalOptions & { from?: string; limit?: string }>()
      const from = opts.from === undefined ? 0 : parseCount(opts.from, '--from')
      const limit = opts.limit === undefined ? DEFAULT_REGISTRY_LIMIT : parseCount(opts.limit, '--limit', 1)
      const node = await connect(rootScoped(opts))
      const list = await call(node, (c) => c.registry(from, limit))
      if (opts.json) return printJson(list)
      if (list.count === 0) return printLine('no entities are registered')
      printTable(
        ['id', 'name', 'validators', 'registered at'],
        list.entities.map((e) => [shortId(e.id), e.name || '-', String(e.genesis.validators.length), String(e.height)]),
      )
      printLine(`${list.count} registered${list.entities.length < list.count ? ` (showing ${from}..${from + list.entities.length - 1})` : ''}`)
    })
}
