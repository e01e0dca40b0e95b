// The local-hosts back end's network: one network namespace per host, each with two veth pairs
// to the root namespace. The data link (`eth0` inside, `p2pn-d<i>` outside) is a port of the
// bridge p2pn-br0 and carries the P2P traffic at the host's own address, so the nodes talk over
// a real network stack; disconnect and partition act on it alone. The management link
// (`mgmt0` inside, `p2pn-m<i>` outside, a /30 of its own) carries only the runner's API calls:
// it has no route to the other namespaces, so a disconnected or partitioned node stays
// observable without giving its P2P traffic a way around the fault.
//
// A partition moves each group's data links to a bridge of its own (p2pn-br1, p2pn-br2, ...):
// no firewall is needed (this machine has neither iptables nor nft), the links stay up, and
// packets between groups vanish, as on a cut network.

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { promisify } from 'node:util'
import { NODE_FLAGS } from '../../packages/node/src/runtime-flags.ts'
import { API_PORT, type Backend, type BackendNode, type NodeSignal } from './backend.ts'
import type { HostSpec } from './manifest.ts'

const run = promisify(execFile)

export const NAME_PREFIX = 'p2pn-'
export const BRIDGE = 'p2pn-br0'
/** The only range the runner assigns, and only inside its namespaces and on its own links. */
export const DATA_SUBNET = '10.77.0'
export const MGMT_SUBNET = '10.77.1'
const MAX_HOSTS = 63 // /30s in MGMT_SUBNET
const P2PNODE_BIN = new URL('../../packages/cli/bin/p2pnode.js', import.meta.url).pathname
/** A node told to stop gets this long before SIGKILL. */
const STOP_GRACE_MS = 10_000

// Every node process of this runner, killed when it exits however it exits.
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) {
    child.kill('SIGCONT')
    child.kill('SIGKILL')
  }
})

export interface LocalHost {
  name: string
  /** The P2P address, on the bridge. */
  address: string
  netns: string
  /** Root-namespace end of the data link: down = the host disconnected. */
  dataLink: string
  /** The host's address on its management link: where its API listens. */
  apiAddress: string
}

async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args, { timeout: 10_000 })).stdout
}

async function quietly(...args: string[]): Promise<void> {
  await ip(...args).catch(() => {})
}

/** True when this process may create namespaces (root, iproute2 with netns and veth support). */
export async function netnsAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' }
  const probe = `${NAME_PREFIX}probe${process.pid % 10_000}`
  try {
    await ip('netns', 'add', probe)
    await ip('-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1')
    return { ok: true }
  } catch (err) {
    return { ok: false, reason: `cannot create a namespace with a veth pair: ${(err as Error).message.split('\n')[0]}` }
  } finally {
    await quietly('netns', 'del', probe)
  }
}

/** Namespaces and links of an earlier run (the prefix is the runner's alone). */
export async function leftovers(): Promise<{ netns: string[]; links: string[] }> {
  const netns = (await ip('netns', 'list'))
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(NAME_PREFIX))
  const links = (await ip('-o', 'link', 'show'))
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((n) => n.startsWith(NAME_PREFIX))
  return { netns, links }
}

/**
 * Deletes every namespace and link named with the runner's prefix, after killing the processes
 * still inside those namespaces (the nodes of a runner that was itself SIGKILLed).
 */
export async function removeLeftovers(): Promise<void> {
  const { netns, links } = await leftovers()
  for (const ns of netns) {
    const pids = (await ip('netns', 'pids', ns).catch(() => '')).split('\n').filter((p) => /^\d+$/.test(p))
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL')
      } catch {
        // gone already
      }
    }
  }
  // Bridges last: deleting a veth end removes its peer, then the bridge has no ports left.
  for (const link of links.sort((a, b) => Number(a.includes('-br')) - Number(b.includes('-br')))) await quietly('link', 'del', link)
  for (const ns of netns) await quietly('netns', 'del', ns)
}

function inSubnet(address: string, subnet: string): boolean {
  const last = Number(address.slice(subnet.length + 1))
  return address.startsWith(`${subnet}.`) && Number.isInteger(last) && last >= 2 && last <= 254
}

export class LocalHosts implements Backend {
  readonly kind = 'local'
  private partitioned = false
  /** The live process of each node, by node name. */
  private readonly processes = new Map<string, ChildProcess>()

  private constructor(readonly hosts: LocalHost[]) {}

  /** Creates the bridge and one namespace per host; removes what it made if a step fails. */
  static async create(specs: HostSpec[]): Promise<LocalHosts> {
    if (specs.length > MAX_HOSTS) throw new Error(`at most ${MAX_HOSTS} local hosts`)
    for (const h of specs) {
      if (!inSubnet(h.address, DATA_SUBNET)) throw new Error(`host ${h.name}: local hosts use ${DATA_SUBNET}.2-254, not ${h.address}`)
    }
    const left = await leftovers()
    if (left.netns.length + left.links.length > 0) {
      throw new Error(
        `namespaces or links of another testnet exist (${[...left.netns, ...left.links].join(', ')}): ` +
          'another run is going on, or one was killed; remove them with `npm run testnet -- --cleanup`',
      )
    }
    const hosts = specs.map((h, i) => ({
      name: h.name,
      address: h.address,
      netns: `${NAME_PREFIX}${h.name}`,
      dataLink: `${NAME_PREFIX}d${i}`,
      apiAddress: `${MGMT_SUBNET}.${4 * i + 2}`,
    }))
    const made = new LocalHosts(hosts)
    try {
      await ip('link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0')
      await ip('link', 'set', BRIDGE, 'up')
      for (const [i, h] of hosts.entries()) {
        const mgmt = `${NAME_PREFIX}m${i}`
        await ip('netns', 'add', h.netns)
        await ip('-n', h.netns, 'link', 'set', 'lo', 'up')
        await ip('link', 'add', h.dataLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.netns)
        await ip('link', 'set', h.dataLink, 'master', BRIDGE, 'up')
        await ip('-n', h.netns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0')
        await ip('-n', h.netns, 'link', 'set', 'eth0', 'up')
        await ip('link', 'add', mgmt, 'type', 'veth', 'peer', 'name', 'mgmt0', 'netns', h.netns)
        await ip('addr', 'add', `${MGMT_SUBNET}.${4 * i + 1}/30`, 'dev', mgmt)
        await ip('link', 'set', mgmt, 'up')
        await ip('-n', h.netns, 'addr', 'add', `${h.apiAddress}/30`, 'dev', 'mgmt0')
        await ip('-n', h.netns, 'link', 'set', 'mgmt0', 'up')
      }
    } catch (err) {
      await made.destroy()
      throw err
    }
    return made
  }

  host(name: string): LocalHost {
    const h = this.hosts.find((x) => x.name === name)
    if (!h) throw new Error(`no local host ${name}`)
    return h
  }

  address(host: string): string {
    return this.host(host).address
  }

  apiUrl(host: string): string {
    return `http://${this.host(host).apiAddress}:${API_PORT}`
  }

  /** Nothing to copy: the nodes run from the generated homes, in place. */
  async install(): Promise<void> {}

  /** `ip netns exec <ns> node p2pnode.js --home <home> start --api <mgmt address>:7401`, logs appended to the node's file. */
  async start(node: BackendNode, onExit: () => void): Promise<void> {
    const name = node.spec.name
    if (this.processes.has(name)) return
    const argv = ['ip', 'netns', 'exec', this.host(node.host).netns, process.execPath, ...NODE_FLAGS, P2PNODE_BIN, '--home', node.home, 'start', '--api', `${this.host(node.host).apiAddress}:${API_PORT}`]
    const log = createWriteStream(node.logFile, { flags: 'a' })
    log.on('error', () => {})
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.pipe(log, { end: false })
    child.stderr!.pipe(log, { end: false })
    child.once('close', () => log.end())
    children.add(child)
    this.processes.set(name, child)
    child.once('exit', () => {
      children.delete(child)
      // Still registered: nobody asked it to stop.
      if (this.processes.get(name) === child) {
        this.processes.delete(name)
        onExit()
      }
    })
  }

  async signal(node: BackendNode, signal: NodeSignal): Promise<void> {
    const child = this.processes.get(node.spec.name)
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      child.kill(signal)
      return
    }
    this.processes.delete(node.spec.name)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(killer)
  }

  /** The logs are appended to each node's file as it runs. */
  async collectLogs(): Promise<void> {}

  async disconnect(host: string): Promise<void> {
    await ip('link', 'set', this.host(host).dataLink, 'down')
  }

  async reconnect(host: string): Promise<void> {
    await ip('link', 'set', this.host(host).dataLink, 'up')
  }

  /** Each group's data links onto a bridge of its own: traffic flows within a group only. */
  async partition(groups: string[][]): Promise<void> {
    this.partitioned = true
    for (const [g, group] of groups.entries()) {
      const bridge = `${NAME_PREFIX}br${g + 1}`
      await ip('link', 'add', bridge, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0')
      await ip('link', 'set', bridge, 'up')
      for (const host of group) await ip('link', 'set', this.host(host).dataLink, 'master', bridge)
    }
  }

  async heal(): Promise<void> {
    for (const h of this.hosts) await ip('link', 'set', h.dataLink, 'master', BRIDGE)
    for (const link of (await leftovers()).links) if (/-br[1-9]\d*$/.test(link)) await quietly('link', 'del', link)
    this.partitioned = false
  }

  get isPartitioned(): boolean {
    return this.partitioned
  }

  /** Removes the namespaces, links and bridges this instance made (its processes must be gone). */
  async destroy(): Promise<void> {
    for (const [i, h] of this.hosts.entries()) {
      await quietly('link', 'del', h.dataLink)
      await quietly('link', 'del', `${NAME_PREFIX}m${i}`)
      await quietly('netns', 'del', h.netns)
    }
    for (const link of (await leftovers().catch(() => ({ links: [] as string[] }))).links) if (/-br\d+$/.test(link)) await quietly('link', 'del', link)
  }
}
