// The victim network, seen from the operator's side: 4 validator processes started as the e2e
// cluster helper starts them (homes from the testnet generator, fast consensus timeouts, one
// `packages/node/src/main.ts` process each, logs in <dir>/logs), but with start-up deadlines
// for a busy machine. They are watched only through what an operator has: the HTTP API
// (heights, peers and their scores, bans) and /proc (RSS, exits). A watchdog kills a node whose
// RSS passes RSS_KILL_BYTES, so an attack that makes a node balloon cannot take the machine (and
// other people's processes) with it; that counts as the node exiting.

import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '../packages/node/src/api/client.ts'
import { type TestnetNode, generateTestnet } from '../packages/node/src/home/testnet.ts'
import { NODE_FLAGS } from '../packages/node/src/runtime-flags.ts'
import { FAST_CONSENSUS, NODE_MAIN, freeBasePort, waitFor } from '../test/e2e/cluster.ts'

/** Node processes of this runner, killed when it exits however it exits. */
const children = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL')
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(128 + (signal === 'SIGINT' ? 2 : 15)))

export interface VictimNode extends TestnetNode {
  client: Client
  process: ChildProcess | undefined
}

/** A node's API must answer within this of its start (start-up on a loaded machine is slow). */
const API_UP_MS = 120_000
const STOP_MS = 10_000

export const VALIDATORS = 4
/** A node past this RSS is killed at once (and the attack fails). */
export const RSS_KILL_BYTES = 2 * 1024 * 1024 * 1024
const WATCHDOG_MS = 100
const START_ATTEMPTS = 3
const STATUS_EVERY_MS = 300
/** Samples older than this are dropped (the longest window looked back on is a few minutes). */
const KEEP_SAMPLES_MS = 10 * 60_000

export interface HeightSample {
  at: number
  height: number
}

export interface Exit {
  node: string
  at: number
  code: number | null
  signal: string | null
  /** Set when the watchdog killed it. */
  rss?: number
}

export class Victims {
  network = ''
  /** Entity id, hex. */
  entity = ''
  readonly samples: HeightSample[][]
  readonly exits: Exit[] = []
  private readonly rssPeak: number[]
  private readonly timers: NodeJS.Timeout[] = []
  private readonly killed = new Set<number>()
  private stopped = false

  private constructor(
    readonly dir: string,
    readonly nodes: VictimNode[],
  ) {
    this.samples = nodes.map(() => [])
    this.rssPeak = nodes.map(() => 0)
  }

  /** Starts a network; a start that times out (a busy machine) is tried again, up to START_ATTEMPTS. */
  static async start(): Promise<Victims> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await Victims.startOnce()
      } catch (err) {
        if (attempt >= START_ATTEMPTS) throw err
        process.stderr.write(`network start failed (${(err as Error).message.split('\n')[0]}); trying again\n`)
      }
    }
  }

  private static async startOnce(): Promise<Victims> {
    const dir = await mkdtemp(join(tmpdir(), 'p2pnode-attack-'))
    mkdirSync(join(dir, 'logs'), { recursive: true })
    // Blocks back to back, work or not: each attack is judged by the chain's rate, which at the
    // heartbeat (one block a second when idle) would be too coarse to show a stall. That a peer
    // without stake cannot wake an idle network is test/node/consensus/heartbeat.test.ts's.
    const config = { ...FAST_CONSENSUS, consensus: { ...FAST_CONSENSUS.consensus, emptyBlockIntervalMs: 0 } }
    const { nodes: homes } = await generateTestnet({ out: dir, validators: VALIDATORS, basePort: await freeBasePort(VALIDATORS), config })
    const nodes: VictimNode[] = await Promise.all(
      homes.map(async (n) => {
        const token = (await readFile(join(n.home, 'api-token'), 'utf8')).trim()
        return { ...n, client: new Client({ url: `http://127.0.0.1:${n.apiPort}`, token, timeoutMs: 5_000 }), process: undefined }
      }),
    )
    const victims = new Victims(dir, nodes)
    try {
      await Promise.all(nodes.map((_, i) => victims.startNode(i)))
      const status = await nodes[0]!.client.status()
      victims.network = status.network
      victims.entity = status.entity
      victims.watch()
      if (!(await victims.waitHeights(2, 60_000))) throw new Error('the network did not reach height 2 within 60 s')
      return victims
    } catch (err) {
      await victims.stop()
      throw err
    }
  }

  private async startNode(i: number): Promise<void> {
    const node = this.nodes[i]!
    const log = createWriteStream(join(this.dir, 'logs', `${node.name}.log`), { flags: 'a' })
    log.on('error', () => {})
    const child = spawn(process.execPath, [...NODE_FLAGS, NODE_MAIN, '--home', node.home], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.pipe(log, { end: false })
    child.stderr!.pipe(log, { end: false })
    child.once('close', () => log.end())
    children.add(child)
    child.once('exit', () => children.delete(child))
    node.process = child
    await waitFor(`${node.name} API`, async () => (await node.client.health()) !== undefined, API_UP_MS, 250)
  }

  pid(i: number): number | undefined {
    const child = this.nodes[i]!.process
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined
  }

  alive(): boolean {
    return this.nodes.every((_, i) => this.pid(i) !== undefined)
  }

  /** VmRSS of node i in bytes, undefined when it is not running. */
  rss(i: number): number | undefined {
    const pid = this.pid(i)
    if (pid === undefined) return undefined
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      return match ? Number(match[1]) * 1024 : undefined
    } catch {
      return undefined
    }
  }

  /** Forgets the RSS peaks so far; `peaks()` then gives the highest RSS since. */
  resetPeaks(): void {
    this.rssPeak.fill(0)
    this.nodes.forEach((_, i) => (this.rssPeak[i] = this.rss(i) ?? 0))
  }

  peaks(): number[] {
    return [...this.rssPeak]
  }

  /** The latest height each node reported (undefined before its first answer). */
  latest(): Array<number | undefined> {
    return this.samples.map((s) => s.at(-1)?.height)
  }

  /** Height of node i at `at`: its last answer at or before it (heights only grow). */
  heightAt(i: number, at: number): number | undefined {
    const s = this.samples[i]!
    for (let k = s.length - 1; k >= 0; k--) if (s[k]!.at <= at) return s[k]!.height
    return undefined
  }

  /**
   * Node i's first answer at or after `at`, waiting up to `ms` for it; failing that its latest
   * answer after `since`; undefined when it said nothing since then.
   */
  async heightAfter(i: number, at: number, ms: number, since: number): Promise<HeightSample | undefined> {
    const deadline = Date.now() + ms
    for (;;) {
      const sample = this.samples[i]!.find((s) => s.at >= at)
      if (sample) return sample
      if (Date.now() > deadline) {
        const last = this.samples[i]!.at(-1)
        return last && last.at > since ? last : undefined
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Longest stretch within [from, to] in which node i's API gave no answer. */
  longestSilence(i: number, from: number, to: number): number {
    let last = from
    let longest = 0
    for (const s of this.samples[i]!) {
      if (s.at < from) continue
      if (s.at > to) break
      longest = Math.max(longest, s.at - last)
      last = s.at
    }
    return Math.max(longest, to - last)
  }

  /** Waits until every node reports at least `height`. */
  async waitHeights(height: number, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms
    while (Date.now() < deadline) {
      if (this.latest().every((h) => h !== undefined && h >= height)) return true
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return false
  }

  /** Stops every node (SIGTERM, SIGKILL after 10 s) and removes the directory unless KEEP_E2E is set. */
  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearInterval(t)
    await Promise.all(
      this.nodes.map(async (n) => {
        const child = n.process
        if (!child || child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_MS)
        await exited
        clearTimeout(killer)
      }),
    )
    if (!process.env['KEEP_E2E']) await rm(this.dir, { recursive: true, force: true })
    else process.stderr.write(`homes and logs kept in ${this.dir}\n`)
  }

  private watch(): void {
    for (const [i, node] of this.nodes.entries()) {
      node.process?.once('exit', (code, signal) => {
        if (this.stopped) return
        const known = this.exits.find((e) => e.node === node.name && e.rss !== undefined)
        if (!known) this.exits.push({ node: node.name, at: Date.now(), code, signal })
      })
      // each node's status on its own loop, so that a frozen node delays only its own samples
      void (async () => {
        while (!this.stopped) {
          const started = Date.now()
          try {
            const { height } = await node.client.status()
            this.samples[i]!.push({ at: Date.now(), height })
            const old = Date.now() - KEEP_SAMPLES_MS
            while (this.samples[i]!.length > 0 && this.samples[i]![0]!.at < old) this.samples[i]!.shift()
          } catch {
            // no answer (frozen, busy or dead): no sample
          }
          if (this.pid(i) === undefined) {
            await new Promise((resolve) => setTimeout(resolve, 500))
            continue
          }
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, STATUS_EVERY_MS - (Date.now() - started))))
        }
      })()
    }
    this.timers.push(
      setInterval(() => {
        for (const [i, node] of this.nodes.entries()) {
          const rss = this.rss(i)
          if (rss === undefined) continue
          if (rss > this.rssPeak[i]!) this.rssPeak[i] = rss
          if (rss > RSS_KILL_BYTES && !this.killed.has(node.process!.pid!)) {
            this.killed.add(node.process!.pid!)
            this.exits.push({ node: node.name, at: Date.now(), code: null, signal: 'SIGKILL', rss })
            node.process?.kill('SIGKILL')
          }
        }
      }, WATCHDOG_MS),
    )
  }
}
