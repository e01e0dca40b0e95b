// The testnet's node processes: homes made by the same generator as `p2pnode testnet --hosts`,
// each node run as `ip netns exec <ns> node p2pnode.js --home <home> start` on its host, its
// API moved from 127.0.0.1 to the host's management address so that the runner (in the root
// namespace) reaches it, with the home's own token.

import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Client } from '../../packages/node/src/api/client.ts'
import type { NodeConfigInput } from '../../packages/node/src/config.ts'
import { generateTestnet } from '../../packages/node/src/home/testnet.ts'
import type { LocalHosts } from './local-hosts.ts'
import type { Manifest, NodeSpec } from './manifest.ts'
import { waitFor } from './wait.ts'

const P2PNODE_BIN = new URL('../../packages/cli/bin/p2pnode.js', import.meta.url).pathname
/** Every node listens on this port of its own host; the API on the next one. */
export const P2P_PORT = 7400
export const API_CALL_TIMEOUT_MS = 3_000
const API_UP_WITHIN_MS = 60_000
const STOP_GRACE_MS = 10_000

/** Consensus timeouts for hosts one bridge apart (as the e2e tests use on loopback). */
export const LOCAL_CONSENSUS: NodeConfigInput = {
  consensus: { propose: { baseMs: 600, deltaMs: 200 }, prevote: { baseMs: 300, deltaMs: 100 }, precommit: { baseMs: 300, deltaMs: 100 } },
  metrics: { enabled: false },
  log: { level: 'info' },
}

// Every node process of this runner, killed when it exits however it exits.
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
})

export interface RunNode {
  spec: NodeSpec
  index: number
  host: string
  home: string
  token: string
  client: Client
  logFile: string
  process: ChildProcess | undefined
  paused: boolean
  restarts: number
  /** Validator index in the genesis set, -1 for a follower. */
  validatorIndex: number
}

export async function makeNodes(manifest: Manifest, hosts: LocalHosts, dir: string): Promise<RunNode[]> {
  const specs = manifest.nodes
  const index = new Map(specs.map((n, i) => [n.name, i]))
  const validators = specs.filter((n) => n.role === 'validator')
  await generateTestnet({
    out: join(dir, 'homes'),
    validators: validators.length,
    followers: specs.length - validators.length,
    network: manifest.network,
    hosts: specs.map((n) => hosts.host(n.host).address),
    basePort: P2P_PORT,
    shares: validators.map((v) => v.shares),
    bootstrap: (i) => specs[i]!.bootstrap.map((b) => index.get(b)!),
    config: mergeConfig(LOCAL_CONSENSUS, manifest.config) as NodeConfigInput,
  })
  mkdirSync(join(dir, 'logs'), { recursive: true })
  return Promise.all(
    specs.map(async (spec, i) => {
      const home = join(dir, 'homes', `node${i}`)
      const token = (await readFile(join(home, 'api-token'), 'utf8')).trim()
      const url = `http://${hosts.host(spec.host).apiAddress}:${P2P_PORT + 1}`
      return {
        spec,
        index: i,
        host: spec.host,
        home,
        token,
        client: new Client({ url, token, timeoutMs: API_CALL_TIMEOUT_MS }),
        logFile: join(dir, 'logs', `${spec.name}.log`),
        process: undefined,
        paused: false,
        restarts: 0,
        validatorIndex: spec.role === 'validator' ? i : -1,
      }
    }),
  )
}

function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k]
    const objects = typeof cur === 'object' && cur && !Array.isArray(cur) && typeof v === 'object' && v && !Array.isArray(v)
    out[k] = objects ? mergeConfig(cur as Record<string, unknown>, v as Record<string, unknown>) : v
  }
  return out
}

export class NodeProcesses {
  constructor(
    private readonly hosts: LocalHosts,
    readonly nodes: RunNode[],
  ) {}

  node(name: string): RunNode {
    const n = this.nodes.find((x) => x.spec.name === name)
    if (!n) throw new Error(`no node ${name}`)
    return n
  }

  /** Nodes with a live, unpaused process: the ones whose API answers. */
  up(): RunNode[] {
    return this.nodes.filter((n) => n.process !== undefined && !n.paused)
  }

  running(): RunNode[] {
    return this.nodes.filter((n) => n.process !== undefined)
  }

  /** Starts a node on its host and waits until its API answers. */
  async start(name: string): Promise<void> {
    const node = this.node(name)
    if (node.process) return
    const api = `${this.hosts.host(node.host).apiAddress}:${P2P_PORT + 1}`
    const argv = this.hosts.command(node.host, [process.execPath, P2PNODE_BIN, '--home', node.home, 'start', '--api', api])
    const log = createWriteStream(node.logFile, { flags: 'a' })
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.pipe(log, { end: false })
    child.stderr!.pipe(log, { end: false })
    child.once('close', () => log.end())
    log.on('error', () => {})
    children.add(child)
    child.once('exit', () => {
      children.delete(child)
      if (node.process === child) node.process = undefined
    })
    node.process = child
    await waitFor(`${name}'s API`, async () => (await node.client.health()) !== undefined && node.process === child, API_UP_WITHIN_MS, 250)
  }

  private async signal(name: string, signal: NodeJS.Signals, graceMs = STOP_GRACE_MS): Promise<void> {
    const node = this.node(name)
    const child = node.process
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    if (node.paused) child.kill('SIGCONT')
    node.paused = false
    child.kill(signal)
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(killer)
    node.process = undefined
  }

  kill(name: string): Promise<void> {
    return this.signal(name, 'SIGKILL')
  }

  /** A clean stop (SIGTERM), SIGKILL after a grace period. */
  stop(name: string): Promise<void> {
    return this.signal(name, 'SIGTERM')
  }

  async restart(name: string): Promise<void> {
    await this.start(name)
    this.node(name).restarts++
  }

  pause(name: string): void {
    const node = this.node(name)
    node.process?.kill('SIGSTOP')
    node.paused = true
  }

  resume(name: string): void {
    const node = this.node(name)
    node.process?.kill('SIGCONT')
    node.paused = false
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stop(n.spec.name)))
  }
}
