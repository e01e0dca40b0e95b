// `npm run bench:startup [-- --runs N] [--node running|stopped] [--bin PATH]`: the wall time
// of `p2pnode --version` and `p2pnode status`, each as a ratio to `node -e 0` measured in the same
// run (issue 11's aims: --version at most 3 times, status at most 5 times). The three are run in
// turn, N times each, so that the load of this shared machine weighs on all alike; the figures
// are medians. `status` asks a single node started for the purpose (running), or a home whose
// node is stopped (stopped: the command reads the home, finds no node and exits 4). --bin runs
// another checkout's bin/p2pnode.js (the figures before the build: main's, run through tsx).

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'

const DEFAULT_BIN = new URL('../packages/cli/bin/p2pnode.js', import.meta.url).pathname
const DEFAULT_RUNS = 10
/** A node's API must answer within this of its start (start-up on a loaded machine is slow). */
const NODE_START_DEADLINE_MS = 60_000
const STATUS_EXIT = { running: 0, stopped: 4 } as const

export interface StartupOptions {
  /** The p2pnode script to measure (default: this checkout's). */
  bin?: string
  runs?: number
  /** Whether `status` finds a node answering (default) or none. */
  node?: 'running' | 'stopped'
}

export interface StartupFigures {
  runs: number
  node: 'running' | 'stopped'
  /** Medians, milliseconds. */
  nodeMs: number
  versionMs: number
  statusMs: number
  versionRatio: number
  statusRatio: number
}

interface Exit {
  code: number
  ms: number
  stderr: string
}

function run(args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code: code ?? -1, ms: Number(process.hrtime.bigint() - start) / 1e6, stderr }))
  })
}

/** None of the operator's P2PNODE_* settings: the home is the one given. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('P2PNODE_')))
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function expect(args: string[], code: number): Promise<Exit> {
  const exit = await run(args)
  if (exit.code !== code) throw new Error(`${args.join(' ')} exited ${exit.code}, expected ${code}: ${exit.stderr}`)
  return exit
}

async function startNode(bin: string, home: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, '--home', home, 'start'], { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() })
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const deadline = Date.now() + NODE_START_DEADLINE_MS
  while ((await run([bin, '--home', home, 'status'])).code !== 0) {
    if (child.exitCode !== null) throw new Error(`the node exited ${child.exitCode}: ${stderr}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`the node's API did not answer within ${NODE_START_DEADLINE_MS} ms: ${stderr}`)
    }
  }
  return child
}

async function stopNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

export async function measureStartup(options: StartupOptions = {}): Promise<StartupFigures> {
  const bin = options.bin ?? DEFAULT_BIN
  const runs = options.runs ?? DEFAULT_RUNS
  const mode = options.node ?? 'running'
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-bench-startup-'))
  const home = join(dir, 'home')
  let node: ChildProcess | undefined
  try {
    const port = await freePort()
    await expect([bin, '--home', home, 'init', '--listen', '/ip4/127.0.0.1/tcp/0', '--api', `127.0.0.1:${port}`], 0)
    const configPath = join(home, 'config.json')
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>
    await writeFile(configPath, JSON.stringify({ ...config, metrics: { enabled: false }, log: { level: 'warn' } }))
    if (mode === 'running') node = await startNode(bin, home)

    const commands = {
      node: { args: ['-e', '0'], code: 0 },
      version: { args: [bin, '--version'], code: 0 },
      status: { args: [bin, '--home', home, 'status'], code: STATUS_EXIT[mode] },
    }
    const times: Record<keyof typeof commands, number[]> = { node: [], version: [], status: [] }
    for (const { args, code } of Object.values(commands)) await expect(args, code) // warm the disk cache (and tsx's)
    for (let i = 0; i < runs; i++) {
      for (const [name, { args, code }] of Object.entries(commands)) times[name as keyof typeof commands].push((await expect(args, code)).ms)
    }
    const nodeMs = median(times.node)
    const versionMs = median(times.version)
    const statusMs = median(times.status)
    return { runs, node: mode, nodeMs, versionMs, statusMs, versionRatio: versionMs / nodeMs, statusRatio: statusMs / nodeMs }
  } finally {
    if (node) await stopNode(node)
    await rm(dir, { recursive: true, force: true })
  }
}

export function formatStartup(f: StartupFigures): string {
  return [
    `start-up, median of ${f.runs} runs (status against a ${f.node} node):`,
    `  node -e 0            ${f.nodeMs.toFixed(0).padStart(6)} ms`,
    `  p2pnode --version    ${f.versionMs.toFixed(0).padStart(6)} ms  ${f.versionRatio.toFixed(2)}x node -e 0 (aim: at most 3x)`,
    `  p2pnode status       ${f.statusMs.toFixed(0).padStart(6)} ms  ${f.statusRatio.toFixed(2)}x node -e 0 (aim: at most 5x)`,
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]!).href) {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, node: { type: 'string' }, bin: { type: 'string' } } })
  if (values.node !== undefined && values.node !== 'running' && values.node !== 'stopped') throw new Error('--node is running or stopped')
  const figures = await measureStartup({
    ...(values.bin ? { bin: values.bin } : {}),
    ...(values.runs ? { runs: Number(values.runs) } : {}),
    ...(values.node ? { node: values.node } : {}),
  })
  console.log(formatStartup(figures))
}
