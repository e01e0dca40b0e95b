// `p2pnode --version` and `p2pnode status` start fast (issue 11): the built CLI loads the module of
// the command it runs and nothing of the node's heavy parts. Each command runs in a child under
// test/fixtures/record-modules.mjs, which lists every module the process loaded; an import of the
// node, libp2p, BLS or LevelDB on these paths (a static import of a command module in index.ts,
// of @p2pnode/core in client.ts...) shows up in that list and fails here.

import { spawn } from 'node:child_process'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NODE_FLAGS } from '../../packages/node/src/runtime-flags.ts'
import { BIN, type Result, cleanEnv, freeBasePort, initSolo, spawnCli, stopChild, tempDir, waitFor } from './node-helpers.ts'

const RECORDER = new URL('../fixtures/record-modules.mjs', import.meta.url).pathname
const RUN_TIMEOUT_MS = 30_000

/** What neither command may load: the node's networking, BLS, LevelDB, its HTTP server and logger. */
const HEAVY = [
  /\/node_modules\/libp2p\//,
  /\/node_modules\/@libp2p\//,
  /\/node_modules\/@chainsafe\/(blst|libp2p-)/,
  /\/node_modules\/(classic-level|abstract-level|datastore-level)\//,
  /\/node_modules\/(fastify|pino|prom-client)\//,
  /\/packages\/node\/(dist|src)\/(index|node|network\/(index|network|libp2p))\./,
  /\/packages\/core\/(dist|src)\/index\./,
]

let dir: string
let base: number
let home: string

test.before(async () => {
  dir = await tempDir('p2pnode-cli-startup-')
  base = await freeBasePort(2)
  home = join(dir, 'home')
  await initSolo(home, base)
})
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Runs `p2pnode ...args` under the recorder; its result and the URLs of the modules it loaded. */
async function recorded(args: string[], name: string): Promise<{ result: Result; modules: string[] }> {
  const file = join(dir, `${name}.modules`)
  const child = spawn(process.execPath, ['--import', RECORDER, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ RECORD_MODULES_TO: file }) })
  const result: Result = { code: -1, stdout: '', stderr: '' }
  child.stdout.on('data', (c: Buffer) => (result.stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (result.stderr += c.toString()))
  const killer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
  result.code = await new Promise<number>((resolve) => child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))))
  clearTimeout(killer)
  const modules = (await readFile(file, 'utf8')).split('\n').filter(Boolean)
  return { result, modules }
}

function assertLight(modules: string[], what: string): void {
  for (const pattern of HEAVY) {
    const loaded = modules.filter((url) => pattern.test(url))
    assert.equal(loaded, [], `${what} loaded ${pattern}: ${loaded.slice(0, 3).join(', ')}`)
  }
}

/** The CLI's own modules of a command, by name under packages/cli/dist/commands/. */
function commandModules(modules: string[]): string[] {
  return modules.flatMap((url) => /\/packages\/cli\/dist\/commands\/([\w-]+)\.js$/.exec(url)?.[1] ?? []).sort()
}

test('--version runs the built CLI and loads no command module at all', async () => {
  const { result, modules } = await recorded(['--version'], 'version')
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/)
  assert.ok(modules.some((url) => url.endsWith('/packages/cli/dist/index.js')), 'the built index, not the sources')
  assert.ok(modules.some((url) => url.includes('/node_modules/commander/')), 'the recorder saw the modules loaded')
  assert.equal(commandModules(modules), ['table'])
  assertLight(modules, '--version')
})

test('the script itself starts node with the node\'s runtime flags', async () => {
  const first = (await readFile(BIN, 'utf8')).split('\n')[0]!
  assert.is(first, NODE_FLAGS.length > 0 ? `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}` : '#!/usr/bin/env node')
  // run as an operator's shell, systemd or Docker runs it: through that line
  const child = spawn(BIN, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout.on('data', (d) => (stdout += d))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  assert.is(code, 0)
  assert.match(stdout, /^\d+\.\d+\.\d+\n$/)
})

test('status of a stopped node loads status and the HTTP client only', async () => {
  const { result, modules } = await recorded(['--home', home, 'status'], 'status-stopped')
  assert.is(result.code, 4, `no node answers: exit 4, got ${result.code}: ${result.stderr}`)
  assert.equal(commandModules(modules), ['status', 'table'])
  assert.ok(modules.some((url) => url.endsWith('/packages/node/dist/api/client.js')), 'the built HTTP client')
  assertLight(modules, 'status (stopped)')
})

test('status of a running node loads status and the HTTP client only', async () => {
  const node = spawnCli(['--home', home, 'start'])
  try {
    await waitFor('the node answers status', async () => (await recorded(['--home', home, 'status'], 'probe')).result.code === 0, 30_000, 200)
    const { result, modules } = await recorded(['--home', home, 'status', '--json'], 'status-running')
    assert.is(result.code, 0, result.stderr)
    assert.type(JSON.parse(result.stdout).height, 'number')
    assert.equal(commandModules(modules), ['status', 'table'])
    assertLight(modules, 'status (running)')
  } finally {
    await stopChild(node)
  }
})

test.run()
