// Running the real `p2pnode` binary in a child process, as an operator's shell would, and the
// real nodes it talks to (test/e2e/cluster.ts: node processes from generated testnet homes).

import { spawn } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as assert from 'uvu/assert'

import { Cluster, waitFor } from '../e2e/cluster.ts'

export { Cluster, FAST_CONSENSUS, waitFor } from '../e2e/cluster.ts'

const BIN = new URL('../../packages/cli/bin/p2pnode.js', import.meta.url).pathname
/** A command that hangs is a failed test, not a stuck run. */
export const CLI_TIMEOUT_MS = 60_000

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `p2pnode ...args` and collects its exit code and output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // the operator's own P2PNODE_* settings must not leak into the tests
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('P2PNODE_')))
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr })
    })
  })
}

/** Runs a command that must succeed and print JSON; returns the parsed output. */
export async function runJson<T = Record<string, unknown>>(args: string[], env?: NodeJS.ProcessEnv): Promise<T> {
  const r = await runCli([...args, '--json'], env)
  assert.is(r.code, 0, `p2pnode ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`p2pnode ${args.join(' ')} printed no JSON: ${r.stdout}`)
  }
}

/** Asserts the exit code (with the output in the message when it differs). */
export function assertExit(r: CliResult, code: number, what: string): void {
  assert.is(r.code, code, `${what}: exit ${r.code}, stdout: ${r.stdout} stderr: ${r.stderr}`)
  if (code !== 0) assert.not.match(r.stderr, /^\s+at /m, `${what}: a stack trace without --debug`)
}

/** A copy of a home's files (not its data) in a new temp dir; remove it with rm. */
export async function copyHome(home: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-cli-copy-'))
  for (const name of ['config.json', 'genesis.json', 'api-token', 'keys']) await cp(join(home, name), join(dir, name), { recursive: true })
  return dir
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true })
}

export function assertHex(value: unknown, bytes: number, what: string): void {
  assert.type(value, 'string', what)
  assert.match(value as string, new RegExp(`^[0-9a-f]{${bytes * 2}}$`), what)
}

/** Whether node i of the cluster lists node j among its peers. */
export async function connectedTo(cluster: Cluster, i: number, j: number): Promise<boolean> {
  return (await cluster.nodes[i]!.client.peers()).some((p) => p.peerId === cluster.nodes[j]!.peerId)
}

/** Two validator nodes connected to each other: what the peer and ban commands are tried on. */
export async function startPair(): Promise<Cluster> {
  const cluster = await Cluster.start({ validators: 2 })
  await waitFor('node0 and node1 connected', () => connectedTo(cluster, 0, 1))
  return cluster
}
