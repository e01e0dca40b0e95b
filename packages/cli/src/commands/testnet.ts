import { stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { printJson, printTable } from '../output.ts'
import { ExitCode, fail, globals, positiveInt } from './node-common.ts'

export interface TestnetFlags {
  validators: string
  followers: string
  out: string
  hosts?: string
  basePort: string
  network: string
  force?: boolean
}

export function registerTestnet(program: Command): void {
  program
    .command('testnet')
    .description('generate one home per node (DIR/node0, DIR/node1, ...) with a shared genesis and bootstrap lists')
    .requiredOption('--validators <n>', 'validators, each with one share')
    .option('--followers <m>', 'nodes that follow the chain without voting', '0')
    .requiredOption('--out <dir>', 'where the homes go')
    .option('--hosts <ip,ip,...>', 'one address per node (validators first): one node per machine, all on --base-port; default: all on 127.0.0.1')
    .option('--base-port <p>', 'first P2P port; on one machine node i uses p + 10 i (P2P), + 1 (API), + 2 (metrics)', '7400')
    .option('--network <name>', 'the network name', 'testnet')
    .option('--force', 'overwrite homes already in --out')
    .addHelpText(
      'after',
      `
Every node but node0 is given node0 to bootstrap from; the DHT finds the rest. With --hosts, copy
DIR/node<i> to host i (it holds that node's keys) and run "p2pnode --home <that dir> start" there.

Examples:
  p2pnode testnet --validators 4 --out ./net
  p2pnode testnet --validators 3 --followers 1 --out ./net --hosts 10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4
  p2pnode testnet --validators 4 --out ./net --json`,
    )
    .action(async (options: TestnetFlags, command: Command) => {
      const opts = globals(command)
      const validators = positiveInt(options.validators, '--validators')
      const followers = positiveInt(options.followers, '--followers', 0)
      const basePort = positiveInt(options.basePort, '--base-port')
      const hosts = options.hosts?.split(',').map((h) => h.trim()).filter(Boolean)
      if (hosts && hosts.length !== validators + followers) {
        fail(ExitCode.BadInput, `--hosts lists ${hosts.length} addresses for ${validators + followers} nodes`, 'give one address per node, validators first')
      }
      for (const host of hosts ?? []) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) fail(ExitCode.BadInput, `--hosts: ${host} is not an IPv4 address`)
      }
      const out = resolve(options.out)
      const first = join(out, 'node0', 'config.json')
      if (!options.force && (await stat(first).then(() => true, () => false))) {
        fail(ExitCode.HomeExists, `${out} already holds a testnet (${first})`, 'add --force to overwrite it (keys included), or choose another --out')
      }
      const { generateTestnet } = await import('@p2pnode/node')
      let made
      try {
        made = await generateTestnet({ out, validators, followers, basePort, network: options.network, ...(hosts ? { hosts } : {}) })
      } catch (err) {
        if (err instanceof Error && err.name === 'ConfigError') fail(ExitCode.BadInput, err.message)
        throw err
      }
      const { nodes } = made
      if (opts.json) return printJson({ network: options.network, dir: out, nodes })
      printTable(
        ['NAME', 'ROLE', 'P2P', 'API', 'HOME'],
        nodes.map((n) => [n.name, n.validator ? 'validator' : 'follower', n.multiaddr, `${n.host}:${n.apiPort}`, n.home]),
      )
      process.stdout.write(`\nstart each with: p2pnode --home ${join(out, 'node<i>')} start\n`)
    })
}
