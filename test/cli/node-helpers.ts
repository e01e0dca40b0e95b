// Running the real p2pnode binary in child processes, for the node-side command tests.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const BIN = new URL('../../packages/cli/bin/p2pnode.js', import.meta.url).pathname

export interface Result {
  code: number
  stdout: string
  stderr: string
}

// Every process a test started, killed if the test process ends however it ends.
const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/** The environment of a child: none of the developer's P2PNODE_* settings. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('P2PNODE_')))
  return { ...env, NO_COLOR: '1', ...extra }
}

/** Starts `p2pnode ARGS` and collects its output. */
export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess & { out: Result; done: Promise<Result> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) }) as ChildProcess & { out: Result; done: Promise<Result> }
  running.add(child)
  child.out = { code: -1, stdout: '', stderr: '' }
  child.stdout!.on('data', (c: Buffer) => (child.out.stdout += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (child.out.stderr += c.toString()))
  child.done = new Promise((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child)
      child.out.code = code ?? (signal ? 128 : 1)
      resolve(child.out)
    })
  })
  return child
}

/** Runs `p2pnode ARGS` to its end (killed after `timeoutMs`). */
export async function cli(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Result> {
  const child = spawnCli(args, env)
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const result = await child.done
  clearTimeout(killer)
  return result
}

/** Runs and parses --json output, failing with the command's stderr when it did not succeed. */
export async function cliJson<T = Record<string, unknown>>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const r = await cli([...args, '--json'], env)
  if (r.code !== 0) throw new Error(`p2pnode ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

export function tempDir(prefix = 'p2pnode-cli-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

// Ports and waiting are the e2e cluster's: one way to find free ports and to wait with a deadline.
export { freeBasePort, portFree, waitFor } from '../e2e/cluster.ts'

/** `p2pnode init` of a single-validator home on 127.0.0.1 ports from `base`, quiet, metrics off. */
export async function initSolo(home: string, base: number, extra: string[] = []): Promise<void> {
  const r = await cli(['--home', home, 'init', '--listen', `/ip4/127.0.0.1/tcp/${base}`, '--api', `127.0.0.1:${base + 1}`, ...extra])
  if (r.code !== 0) throw new Error(`init failed: ${r.stderr}`)
  const path = join(home, 'config.json')
  const config = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
  await writeFile(path, JSON.stringify({ ...config, metrics: { enabled: false }, log: { level: 'warn' } }))
}

export async function apiToken(home: string): Promise<string> {
  return (await readFile(join(home, 'api-token'), 'utf8')).trim()
}

/** Stops a child with `signal` and resolves with its result (SIGKILL after `graceMs`). */
export async function stopChild(child: ReturnType<typeof spawnCli>, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<Result> {
  if (child.exitCode !== null || child.signalCode !== null) return child.done
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  child.kill(signal)
  const result = await child.done
  clearTimeout(killer)
  return result
}
