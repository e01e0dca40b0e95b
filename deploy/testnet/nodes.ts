// The testnet's nodes: homes made by the same generator as `p2pnode testnet --hosts`, started,
// stopped and signalled through the back end (local-hosts.ts or ssh-hosts.ts), watched through
// each node's API with the home's own token. What is running and what is paused is tracked here,
// the same for both back ends.

import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Client } from '../../packages/node/src/api/client.ts'
import type { NodeConfigInput } from '../../packages/node/src/config.ts'
import { TESTNET_EMPTY_BLOCK_INTERVAL_MS, generateTestnet } from '../../packages/node/src/home/testnet.ts'
import { type Backend, type BackendNode, P2P_PORT } from './backend.ts'
import type { Manifest } from './manifest.ts'
import { waitFor } from './wait.ts'

export const API_CALL_TIMEOUT_MS = 3_000
const API_UP_WITHIN_MS = 60_000

/**
 * Every testnet, local or VPS: a heartbeat of 2 s rather than the node's 10 s. The fault checks
 * judge progress and recovery over a few seconds (faults.ts), which an idle network making a
 * block every 10 s could not show.
 */
export const TESTNET_CONSENSUS: NodeConfigInput = { consensus: { emptyBlockIntervalMs: TESTNET_EMPTY_BLOCK_INTERVAL_MS } }

/** Consensus timeouts for hosts one bridge apart (as the e2e tests use on loopback). */
export const LOCAL_CONSENSUS: NodeConfigInput = {
  consensus: { propose: { baseMs: 600, deltaMs: 200 }, prevote: { baseMs: 300, deltaMs: 100 }, precommit: { baseMs: 300, deltaMs: 100 } },
  metrics: { enabled: false },
  log: { level: 'info' },
}

export interface RunNode extends BackendNode {
  index: number
  token: string
  client: Client
  running: boolean
  paused: boolean
  restarts: number
  /** Validator index in the genesis set, -1 for a follower. */
  validatorIndex: number
}

/**
 * Generates the homes (in `dir`/homes) and the runner's view of each node. Every testnet gets a
 * 2 s heartbeat; local hosts also get consensus timeouts for hosts one bridge apart, VPS hosts
 * keep the node's other defaults. The manifest's `config` goes over either.
 */
export async function makeNodes(manifest: Manifest, backend: Backend, dir: string): Promise<RunNode[]> {
  const specs = manifest.nodes
  const index = new Map(specs.map((n, i) => [n.name, i]))
  const validators = specs.filter((n) => n.role === 'validator')
  await generateTestnet({
    out: join(dir, 'homes'),
    validators: validators.length,
    followers: specs.length - validators.length,
    network: manifest.network,
    hosts: specs.map((n) => backend.address(n.host)),
    basePort: P2P_PORT,
    shares: validators.map((v) => v.shares),
    bootstrap: (i) => specs[i]!.bootstrap.map((b) => index.get(b)!),
    config: mergeConfig(mergeConfig(TESTNET_CONSENSUS, backend.kind === 'local' ? LOCAL_CONSENSUS : {}), manifest.config) as NodeConfigInput,
  })
  await mkdir(join(dir, 'logs'), { recursive: true })
  return Promise.all(
    specs.map(async (spec, i) => {
      const home = join(dir, 'homes', `node${i}`)
      const token = (await readFile(join(home, 'api-token'), 'utf8')).trim()
      return {
        spec,
        index: i,
        host: spec.host,
        home,
        token,
        client: new Client({ url: backend.apiUrl(spec.host), token, timeoutMs: API_CALL_TIMEOUT_MS }),
        logFile: join(dir, 'logs', `${spec.name}.log`),
        running: false,
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
    private readonly backend: Backend,
    readonly nodes: RunNode[],
    /** false: `start` returns once the back end started the node (the plan). */
    private readonly awaitApi = true,
  ) {}

  node(name: string): RunNode {
    const n = this.nodes.find((x) => x.spec.name === name)
    if (!n) throw new Error(`no node ${name}`)
    return n
  }

  /** Running and not paused: the nodes whose API answers. */
  up(): RunNode[] {
    return this.nodes.filter((n) => n.running && !n.paused)
  }

  running(): RunNode[] {
    return this.nodes.filter((n) => n.running)
  }

  /** Starts a node on its host and waits until its API answers. */
  async start(name: string): Promise<void> {
    const node = this.node(name)
    if (node.running) return
    node.running = true
    try {
      await this.backend.start(node, () => {
        node.running = false
      })
    } catch (err) {
      node.running = false
      throw err
    }
    if (this.awaitApi) await waitFor(`${name}'s API`, async () => node.running && (await node.client.health()) !== undefined, API_UP_WITHIN_MS, 250)
  }

  private async down(name: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const node = this.node(name)
    if (!node.running) return
    if (node.paused) await this.backend.signal(node, 'SIGCONT')
    node.paused = false
    await this.backend.signal(node, signal)
    node.running = false
  }

  kill(name: string): Promise<void> {
    return this.down(name, 'SIGKILL')
  }

  /** A clean stop (SIGTERM; the back end sends SIGKILL after a grace period). */
  stop(name: string): Promise<void> {
    return this.down(name, 'SIGTERM')
  }

  async restart(name: string): Promise<void> {
    await this.start(name)
    this.node(name).restarts++
  }

  async pause(name: string): Promise<void> {
    const node = this.node(name)
    if (!node.running) return
    await this.backend.signal(node, 'SIGSTOP')
    node.paused = true
  }

  async resume(name: string): Promise<void> {
    const node = this.node(name)
    if (!node.paused) return
    await this.backend.signal(node, 'SIGCONT')
    node.paused = false
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stop(n.spec.name)))
  }
}
