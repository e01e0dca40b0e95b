// `p2pnode devnet` (and `npm start`): a local network of separate `p2pnode start` processes on
// 127.0.0.1, homes in DIR/node<i>, logs in DIR/logs/node<i>.log. A topology string says who
// bootstraps from whom; the DHT does the rest. While it runs, a live line per node (height, peers,
// transactions per second); Ctrl-C stops every node it started.

import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, mkdirSync } from 'node:fs'
import { readdir, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { Client } from '@p2pnode/node/client'
import { readApiToken } from '@p2pnode/node/home'
import { ExitCode, fail, globals, positiveInt } from './node-common.ts'

const BIN = new URL('../../bin/p2pnode.js', import.meta.url).pathname
export const DEVNET_DIR = '.devnet'
export const DEVNET_NETWORK = 'devnet'
const TICK_MS = 1_000
const KILL_AFTER_MS = 15_000

export interface DevnetOptions {
  validators: number
  followers: number
  dir: string
  basePort: number
  topology?: string
  blocks?: number
  json?: boolean
  /** Entities besides the root, registered and joined once the nodes answer (devnet-entities.ts). */
  entities?: number
}

/**
 * "a-b, b-c, c-d" -> for node i, the nodes it is given to bootstrap from. Letters name nodes in
 * order (a = node0); an edge gives each end the other; "a-b-c" is "a-b, b-c". Every node must
 * be in some edge, or nothing would ever connect it.
 */
export function parseTopology(text: string, count: number): (i: number) => number[] {
  const neighbours = Array.from({ length: count }, () => new Set<number>())
  const index = (letter: string) => {
    const i = letter.charCodeAt(0) - 97
    if (!/^[a-z]$/.test(letter) || i >= count) {
      fail(ExitCode.BadInput, `--topology: "${letter}" is not one of the ${count} nodes (a..${String.fromCharCode(96 + count)})`, 'name nodes by letters in order: a = node0, b = node1, ...')
    }
    return i
  }
  for (const edge of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const ends = edge.split('-').map((e) => e.trim())
    if (ends.length < 2) fail(ExitCode.BadInput, `--topology: "${edge}" is not an edge such as a-b`)
    for (let k = 1; k < ends.length; k++) {
      const [x, y] = [index(ends[k - 1]!), index(ends[k]!)]
      if (x === y) continue
      neighbours[x]!.add(y)
      neighbours[y]!.add(x)
    }
  }
  const alone = neighbours.findIndex((n) => n.size === 0)
  if (count > 1 && alone >= 0) fail(ExitCode.BadInput, `--topology: node ${String.fromCharCode(97 + alone)} is in no edge, so no one would connect it`)
  return (i) => [...neighbours[i]!].sort((a, b) => a - b)
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer()
    server.once('error', () => done(false))
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)))
  })
}

/** Makes DIR anew, but never removes a directory that is not a devnet's. */
async function prepareDir(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => undefined)
  if (entries && entries.length > 0) {
    const isDevnet = await stat(join(dir, 'node0', 'config.json')).then(() => true, () => false)
    if (!isDevnet) fail(ExitCode.HomeExists, `${dir} exists and is not a devnet directory`, 'choose another --dir (devnet deletes and remakes its directory on every start)')
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The environment for a node process: none of the operator's P2PNODE_* settings, which would make
 * every node the same, but P2PNODE_LOG_LEVEL, which every node may share (debug logs of a devnet).
 */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('P2PNODE_') || k === 'P2PNODE_LOG_LEVEL'))
}

/** Runs the devnet until Ctrl-C, SIGTERM, or every node at `blocks`; resolves with the exit code. */
export async function runDevnet(o: DevnetOptions): Promise<number> {
  const dir = resolve(o.dir)
  const count = o.validators + o.followers
  const bootstrap = o.topology ? parseTopology(o.topology, count) : undefined
  const ports = Array.from({ length: count }, (_, i) => [0, 1, 2].map((k) => o.basePort + 10 * i + k)).flat()
  for (const port of ports) {
    if (!(await portFree(port))) fail(ExitCode.PortInUse, `port ${port} on 127.0.0.1 is in use (devnet node i uses --base-port + 10 i, + 1, + 2)`, 'stop what holds it (another devnet?), or choose another --base-port')
  }
  await prepareDir(dir)
  const { NODE_FLAGS, generateTestnet } = await import('@p2pnode/node')
  const { nodes } = await generateTestnet({ out: dir, validators: o.validators, followers: o.followers, basePort: o.basePort, network: DEVNET_NETWORK, ...(bootstrap ? { bootstrap } : {}) })
  mkdirSync(join(dir, 'logs'), { recursive: true })

  const children: ChildProcess[] = nodes.map((n) => {
    const log = createWriteStream(join(dir, 'logs', `${n.name}.log`))
    log.on('error', () => {})
    const child = spawn(process.execPath, [...NODE_FLAGS, BIN, '--home', n.home, 'start', '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() })
    child.stdout!.pipe(log, { end: false })
    child.stderr!.pipe(log, { end: false })
    child.once('close', () => log.end())
    return child
  })
  const clients = await Promise.all(nodes.map(async (n) => new Client({ url: `http://127.0.0.1:${n.apiPort}`, token: await readApiToken(n.home), timeoutMs: 2_000 })))
  const described = nodes.map((n, i) => ({
    name: n.name,
    validator: n.validator,
    home: n.home,
    api: `http://127.0.0.1:${n.apiPort}`,
    multiaddr: n.multiaddr,
    bootstrap: (bootstrap ?? ((k: number) => (k === 0 ? [] : [0])))(i).map((k) => nodes[k]!.name),
    log: join(dir, 'logs', `${n.name}.log`),
    pid: children[i]!.pid,
  }))
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ dir, network: DEVNET_NETWORK, nodes: described })}\n`)
  } else {
    process.stdout.write(`devnet: ${nodes.length} nodes in ${dir} (logs in ${join(dir, 'logs')}); Ctrl-C stops them all\n`)
    for (const n of described) process.stdout.write(`  ${n.name}  ${n.validator ? 'validator' : 'follower '}  ${n.api}  bootstraps from ${n.bootstrap.join(', ') || '-'}  home ${n.home}\n`)
    process.stdout.write(`look at one with: p2pnode --home ${nodes[0]!.home} peers\n\n`)
  }

  let stopping: Promise<void> | undefined
  let code: number = ExitCode.Ok
  const stopAll = (exitCode: number) => {
    code = exitCode
    stopping ??= Promise.all(
      children.map(
        (c) =>
          new Promise<void>((done) => {
            if (c.exitCode !== null || c.signalCode !== null) return done()
            const killer = setTimeout(() => c.kill('SIGKILL'), KILL_AFTER_MS)
            c.once('exit', () => {
              clearTimeout(killer)
              done()
            })
            c.kill('SIGTERM')
          }),
      ),
    ).then(() => undefined)
    return stopping
  }
  const onSignal = () => {
    if (!o.json) process.stdout.write('\nstopping every node...\n')
    void stopAll(ExitCode.Ok)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  for (const [i, child] of children.entries()) {
    child.once('exit', (exit, signal) => {
      if (stopping) return
      process.stderr.write(`error: ${nodes[i]!.name} exited (${signal ?? exit}); see ${described[i]!.log}\n`)
      void stopAll(ExitCode.Failure)
    })
  }

  if (o.entities !== undefined && o.entities > 0) {
    const { createDevnetEntities } = await import('./devnet-entities.ts')
    const made = await createDevnetEntities(o.entities, nodes.map((n) => n.home), clients, DEVNET_NETWORK).catch((err: Error) => {
      process.stderr.write(`error: ${err.message}\n`)
      void stopAll(ExitCode.Failure)
      return []
    })
    if (o.json) process.stdout.write(`${JSON.stringify({ entities: made })}\n`)
    else for (const e of made) process.stdout.write(`  entity ${e.name} (${e.id.slice(0, 12)}…) validated by ${e.validators.map((i) => nodes[i]!.name).join(', ')}\n`)
  }

  const rates = new TxRates(clients)
  const live = new LiveLines(!o.json && process.stdout.isTTY === true)
  try {
    while (!stopping) {
      await Promise.race([new Promise((r) => setTimeout(r, TICK_MS)), stopping ?? new Promise(() => {})])
      if (stopping) break
      const views = await Promise.all(
        clients.map(async (client, i) => {
          try {
            const s = await client.status()
            const entities = Object.fromEntries(s.entities.slice(1).map((e) => [e.name, e.height]))
            return { name: nodes[i]!.name, height: s.height, peers: s.peers, txPerSecond: await rates.rate(i, s.height), syncing: s.syncing, entities }
          } catch {
            return { name: nodes[i]!.name, height: 0, peers: 0, txPerSecond: 0, syncing: false, starting: true }
          }
        }),
      )
      if (stopping) break
      if (o.json) process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), nodes: views })}\n`)
      else live.draw(views.map((v) => ('starting' in v ? `${v.name}  (starting)` : `${v.name}  height ${String(v.height).padStart(6)}  peers ${String(v.peers).padStart(3)}  tx/s ${v.txPerSecond.toFixed(0).padStart(6)}${v.syncing ? '  syncing' : ''}${entityHeights(v.entities)}`)))
      if (o.blocks !== undefined && views.every((v) => v.height >= o.blocks!)) {
        if (!o.json) process.stdout.write(`every node reached block ${o.blocks}\n`)
        await stopAll(ExitCode.Ok)
      }
    }
    await stopping
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  return code
}

/** Transactions per second of the chain, from the blocks each node committed since the last look. */
class TxRates {
  private readonly seen = new Map<number, { height: number; at: number }>()
  constructor(private readonly clients: Client[]) {}

  async rate(i: number, height: number): Promise<number> {
    const prev = this.seen.get(i)
    const now = Date.now()
    this.seen.set(i, { height, at: now })
    if (!prev || height <= prev.height || now <= prev.at) return 0
    let txs = 0
    for (let from = Math.max(prev.height + 1, height - 999); from <= height; from += 100) {
      for (const block of await this.clients[i]!.blocks(from, Math.min(height, from + 99))) txs += block.txs.length
    }
    return (txs * 1000) / (now - prev.at)
  }
}

function entityHeights(entities: Record<string, number>): string {
  const names = Object.keys(entities)
  return names.length === 0 ? '' : `  ${names.map((n) => `${n} ${entities[n]}`).join('  ')}`
}

/** One line per node, redrawn in place on a terminal; elsewhere one summary line per tick. */
class LiveLines {
  private drawn = 0
  constructor(private readonly tty: boolean) {}

  draw(lines: string[]): void {
    if (!this.tty) {
      process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${lines.map((l) => l.replace(/\s+/g, ' ')).join('  |  ')}\n`)
      return
    }
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A` : ''
    process.stdout.write(`${up}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`)
    this.drawn = lines.length
  }
}

export function registerDevnet(program: Command): void {
  program
    .command('devnet')
    .description('run a local network of node processes on 127.0.0.1 with a live line per node; Ctrl-C stops them all')
    .option('--validators <n>', 'validators', '4')
    .option('--followers <m>', 'followers (non-voting nodes)', '0')
    .option('--topology <edges>', 'who bootstraps from whom, nodes named a, b, c, ... in order (default: every node is given a)')
    .option('--dir <dir>', 'homes and logs (deleted and made anew on every start)', DEVNET_DIR)
    .option('--base-port <p>', 'node i uses p + 10 i (P2P), + 1 (API), + 2 (metrics)', '7400')
    .option('--blocks <n>', 'stop by itself once every node has this block (a smoke test)')
    .option('--entities <n>', 'entities besides the root, e0.., each validated by 3 nodes in turn (e0: nodes 0-2, e1: 1-3, ...)', '0')
    .addHelpText(
      'after',
      `
Each edge "x-y" gives x and y each other as bootstrap peers; the DHT finds everyone else.
Logs: DIR/logs/<node>.log. With --json: one JSON line describing the nodes (homes, pids), then
one JSON line per second with every node's height, peers and tx/s.

Examples:
  p2pnode devnet                                             # 4 validators, all given node a
  p2pnode devnet --validators 4 --topology "a-b, b-c, c-d, d-a"   # a ring
  p2pnode devnet --validators 5 --topology "a-b, a-c, a-d, a-e"   # a star around a
  p2pnode devnet --validators 3 --followers 2 --dir /tmp/net --blocks 20
  p2pnode devnet --validators 4 --followers 3 --entities 3             # e0, e1, e2 beside the root
  p2pnode --home .devnet/node1 peers                         # from a second terminal`,
    )
    .action(async (options: { validators: string; followers: string; topology?: string; dir: string; basePort: string; blocks?: string; entities: string }, command: Command) => {
      const opts = globals(command)
      const code = await runDevnet({
        validators: positiveInt(options.validators, '--validators'),
        followers: positiveInt(options.followers, '--followers', 0),
        dir: options.dir,
        basePort: positiveInt(options.basePort, '--base-port'),
        ...(options.topology ? { topology: options.topology } : {}),
        ...(options.blocks !== undefined ? { blocks: positiveInt(options.blocks, '--blocks') } : {}),
        ...(opts.json ? { json: true } : {}),
        entities: positiveInt(options.entities, '--entities', 0),
      })
      if (code !== ExitCode.Ok) fail(code as ExitCode, 'the devnet stopped because a node failed', `see the logs in ${resolve(options.dir)}/logs`)
    })
}
