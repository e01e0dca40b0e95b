import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { type GenesisJson, genesisFromJson, genesisToJson } from '@p2pnode/node/home'
import { printJson } from '../output.ts'
import { ExitCode, fail, positiveInt } from './node-common.ts'

type Validator = GenesisJson['validators'][number]

const HEX = /^(0x)?[0-9a-fA-F]+$/

export function parseValidator(spec: string): Validator {
  const parts = spec.split(':')
  if (parts.length !== 4 || !parts.every((p) => p.length > 0)) {
    fail(ExitCode.BadInput, `--validator ${spec.slice(0, 40)}…: expected PUBKEY:ACCOUNT:SHARES:POP`, 'the four values are in the output of "p2pnode keys show" (shares is a whole number)')
  }
  const [publicKey, account, shares, proofOfPossession] = parts as [string, string, string, string]
  for (const [name, value] of [['PUBKEY', publicKey], ['ACCOUNT', account], ['POP', proofOfPossession]] as const) {
    if (!HEX.test(value)) fail(ExitCode.BadInput, `--validator: ${name} is not hex`)
  }
  return { publicKey: strip(publicKey), account: strip(account), shares: positiveInt(shares, '--validator SHARES'), proofOfPossession: strip(proofOfPossession) }
}

function strip(hex: string): string {
  return hex.replace(/^0x/, '').toLowerCase()
}

/** A `p2pnode keys show --json` output; FILE:SHARES gives that validator more than one share. */
export async function fromKeysFile(arg: string): Promise<Validator> {
  const match = /^(.*):(\d+)$/.exec(arg)
  const [file, shares] = match ? [match[1]!, positiveInt(match[2]!, `--from-keys ${arg}`)] : [arg, 1]
  let json: Record<string, unknown>
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
  } catch (err) {
    fail(ExitCode.BadInput, `--from-keys ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(err as Error).message})`}`, 'each file is the output of "p2pnode keys show --json"')
  }
  const field = (name: string) => {
    const value = json[name]
    if (typeof value !== 'string' || !HEX.test(value)) fail(ExitCode.BadInput, `--from-keys ${file}: ${name} is missing or not hex`, 'each file is the output of "p2pnode keys show --json"')
    return strip(value)
  }
  return { publicKey: field('validatorPublicKey'), account: field('accountAddress'), shares, proofOfPossession: field('proofOfPossession') }
}

export function parseThreshold(text: string): { numerator: number; denominator: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text)
  if (!match || Number(match[2]) === 0 || Number(match[1]) > Number(match[2]) || Number(match[1]) === 0) {
    fail(ExitCode.BadInput, `--threshold ${text}: expected a fraction such as 2/3`)
  }
  return { numerator: Number(match[1]), denominator: Number(match[2]) }
}

export function registerGenesis(program: Command): void {
  program
    .command('genesis')
    .description("build a genesis by hand from validators' public keys (for networks whose operators each keep their own keys)")
    .requiredOption('--network <name>', 'the network name (every node of the network uses it)')
    .option('--from-keys <files...>', 'outputs of "p2pnode keys show --json", one per validator (FILE:SHARES for more than one share)')
    .option('--validator <specs...>', 'validators given by hand, each PUBKEY:ACCOUNT:SHARES:POP from "p2pnode keys show"')
    .option('--threshold <fraction>', 'share of votes that commits a block (default 2/3, strictly more than)')
    .option('--time <iso>', 'genesis time (default: now)')
    .option('--out <file>', 'write the genesis here instead of printing it')
    .addHelpText(
      'after',
      `
Every proof of possession is checked: a genesis with a key its holder cannot sign for is refused.

Workflow for operators who each keep their own keys:
  1. each operator:     p2pnode init --network mynet
                        p2pnode keys show --json > alice.json     # public data only; send it over
  2. one coordinator:   p2pnode genesis --network mynet --from-keys alice.json bob.json carol.json --out genesis.json
  3. each operator:     copy genesis.json to <home>/genesis.json (replacing the one init made),
                        put the others' "p2pnode id" multiaddrs in --bootstrap or config p2p.bootstrap,
                        then p2pnode start  (if the node already ran on init's genesis: p2pnode reset --yes first)

Examples:
  p2pnode genesis --network mynet --from-keys alice.json bob.json carol.json:2 --out genesis.json
  p2pnode genesis --network mynet --validator 8f3c…:5a1b…:1:a94e… --validator … --threshold 3/4`,
    )
    .action(async (options: { network: string; fromKeys?: string[]; validator?: string[]; threshold?: string; time?: string; out?: string }) => {
      const validators: Validator[] = []
      for (const file of options.fromKeys ?? []) validators.push(await fromKeysFile(file))
      for (const spec of options.validator ?? []) validators.push(parseValidator(spec))
      if (validators.length === 0) fail(ExitCode.Usage, 'no validators given', 'add --from-keys FILE ... or --validator PUBKEY:ACCOUNT:SHARES:POP ...')
      const time = options.time ?? new Date().toISOString()
      if (Number.isNaN(Date.parse(time))) fail(ExitCode.BadInput, `--time ${time}: not a date`, 'for example --time 2025-01-01T00:00:00Z')
      const json: GenesisJson = { network: options.network, time, validators, ...(options.threshold ? { threshold: parseThreshold(options.threshold) } : {}) }
      let checked
      try {
        checked = genesisToJson(genesisFromJson(json))
      } catch (err) {
        fail(ExitCode.BadInput, `the genesis is not valid: ${(err as Error).message}`, 'check each validator\'s keys against its "p2pnode keys show" output', (err as { code?: string }).code)
      }
      if (!options.out) return printJson(checked)
      await writeFile(options.out, `${JSON.stringify(checked, null, 2)}\n`)
      process.stderr.write(`wrote ${options.out}: network ${checked.network}, ${checked.validators.length} validators\n`)
    })
}
