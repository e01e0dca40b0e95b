// The install path operators use (deploy/pack.sh): npm pack of the three packages, npm install -g
// into a fresh prefix, then the installed `p2pnode` makes a home, starts a node that answers on its
// API and metrics, and stops on SIGTERM. Dependencies come from the npm registry: if it cannot be
// reached this test fails and says so (an install path that was not exercised is not a pass).

import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const ROOT = new URL('../..', import.meta.url).pathname
const PACK = join(ROOT, 'deploy/pack.sh')
const DASHBOARD = join(ROOT, 'deploy/grafana/dashboards/p2pnode.json')
const DOCKERFILE = join(ROOT, 'deploy/docker/Dockerfile')
/**
 * pack (with its clean tsc build, 5-10 s) + install from a warm npm cache takes ~30 s; a cold
 * cache or a machine shared with other work, up to a few minutes.
 */
const INSTALL_TIMEOUT_MS = 240_000
const COMMAND_TIMEOUT_MS = 30_000
const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 15_000

interface Result {
  code: number
  stdout: string
  stderr: string
}

/** The environment of an operator's shell: no P2PNODE_* settings, and none of `npm test`'s npm_* ones (npm_config_prefix would redirect the install). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('P2PNODE_') && !k.toLowerCase().startsWith('npm_')))
}

function run(command: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr })
    })
  })
}

/** A port nothing listens on now (the node binds it a moment later; other tests use fixed ranges). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode })
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
}

/** Every metric the Grafana dashboard queries: the node's p2pnode_* and Node's own nodejs_*. */
function dashboardMetrics(): string[] {
  const names = readFileSync(DASHBOARD, 'utf8').match(/\b(?:p2pnode|nodejs)_[a-z0-9_]*[a-z0-9]/g) ?? []
  // a histogram is queried through its _bucket / _sum / _count series
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))].sort()
}

/** The Dockerfile's HEALTHCHECK command (exec form), to run it here against an installed node. */
function healthcheckCommand(): string[] {
  const line = readFileSync(DOCKERFILE, 'utf8').replace(/\\\n/g, ' ').split('\n').find((l) => l.startsWith('HEALTHCHECK'))
  const exec = line?.match(/CMD (\[.*\])\s*$/)?.[1]
  assert.ok(exec, 'the Dockerfile has a HEALTHCHECK ... CMD ["..."]')
  return JSON.parse(exec)
}

/** Distinct versions of an npm package anywhere under a node_modules tree. */
function versionsUnder(dir: string, name: string): Set<string> {
  const found = new Set<string>()
  const walk = (modules: string) => {
    if (!existsSync(modules)) return
    for (const entry of readdirSync(modules)) {
      const children = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((s) => `${entry}/${s}`) : [entry]
      for (const child of children) {
        const pkg = join(modules, child)
        if (child === name) found.add(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version)
        walk(join(pkg, 'node_modules'))
      }
    }
  }
  walk(dir)
  return found
}

test('pack, npm install -g into a fresh prefix, then init, start, status and SIGTERM', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-install-'))
  let node: ChildProcess | undefined
  try {
    const prefix = join(dir, 'prefix')
    const started = Date.now()
    const install = await run(PACK, ['--out', join(dir, 'release'), '--install', prefix], INSTALL_TIMEOUT_MS)
    if (install.code !== 0) {
      const tail = install.stderr.split('\n').filter((l) => !l.includes('nodedir')).slice(-15).join('\n')
      assert.unreachable(`deploy/pack.sh --install failed (exit ${install.code}); npm install -g needs the npm registry: is it reachable?\n${tail}`)
    }
    console.log(`  pack + install: ${((Date.now() - started) / 1000).toFixed(1)} s`)

    const tarballs = readdirSync(join(dir, 'release')).sort()
    assert.equal(tarballs, ['p2pnode-cli-0.1.0.tgz', 'p2pnode-core-0.1.0.tgz', 'p2pnode-node-0.1.0.tgz'])
    const modules = join(prefix, 'lib/node_modules')
    // shipped: the built JavaScript; not shipped: the TypeScript sources, tests, tsconfig
    assert.ok(existsSync(join(modules, '@p2pnode/cli/bin/p2pnode.js')), 'cli ships bin/')
    for (const pkg of ['core', 'node', 'cli']) {
      assert.ok(existsSync(join(modules, `@p2pnode/${pkg}/dist/index.js`)), `@p2pnode/${pkg} ships dist/`)
      assert.not.ok(existsSync(join(modules, `@p2pnode/${pkg}/src`)), `@p2pnode/${pkg} ships no sources`)
      assert.not.ok(existsSync(join(modules, `@p2pnode/${pkg}/tsconfig.json`)), `@p2pnode/${pkg} ships no tsconfig.json`)
      assert.not.ok(existsSync(join(modules, `@p2pnode/${pkg}/test`)), `@p2pnode/${pkg} ships no tests`)
    }
    // it runs as built: nothing in the installed tree compiles TypeScript at run time
    for (const compiler of ['tsx', 'esbuild', 'typescript']) assert.equal([...versionsUnder(modules, compiler)], [], `no ${compiler} in the installed tree`)
    // The root overrides do not reach a global install; two @libp2p/interface majors in one tree
    // make libp2p's components reject each other's objects.
    assert.equal([...versionsUnder(modules, '@libp2p/interface')], ['2.11.0'], 'one @libp2p/interface in the installed tree')

    const bin = join(prefix, 'bin/p2pnode')
    const version = await run(bin, ['--version'], COMMAND_TIMEOUT_MS)
    assert.is(version.code, 0, version.stderr)
    assert.is(version.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).version)

    const home = join(dir, 'home')
    const [p2pPort, apiPort, metricsPort] = [await freePort(), await freePort(), await freePort()]
    const init = await run(bin, ['--home', home, 'init', '--listen', `/ip4/127.0.0.1/tcp/${p2pPort}`, '--api', `127.0.0.1:${apiPort}`], COMMAND_TIMEOUT_MS)
    assert.is(init.code, 0, init.stderr)
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'))
    await writeFile(join(home, 'config.json'), JSON.stringify({ ...config, metrics: { host: '127.0.0.1', port: metricsPort } }, null, 2))

    // the systemd unit's command line, and its environment
    node = spawn(bin, ['start', '--home', home], { env: { ...cleanEnv(), P2PNODE_LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    node.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d))
    node.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d))

    const deadline = Date.now() + START_TIMEOUT_MS
    let status: Result | undefined
    while (Date.now() < deadline && node.exitCode === null) {
      status = await run(bin, ['--home', home, 'status', '--json'], COMMAND_TIMEOUT_MS)
      if (status.code === 0) break
      assert.is(status.code, 4, `status while starting: only "no node answers" (4) is expected\n${status.stderr}`)
      await new Promise((r) => setTimeout(r, 250)) // polling the API, not timing anything
    }
    assert.is(node.exitCode, null, `the installed node exited early\n${log.slice(-2000)}`)
    assert.is(status?.code, 0, `no answer from the installed node's API within ${START_TIMEOUT_MS} ms\n${log.slice(-2000)}`)
    const view = JSON.parse(status!.stdout)
    assert.is(view.validator, true)
    assert.ok(view.listen.some((a: string) => a.includes(`/tcp/${p2pPort}`)), `listens on ${p2pPort}: ${view.listen}`)
    assert.ok(log.split('\n')[0]!.startsWith('{'), 'P2PNODE_LOG_FORMAT=json gives JSON lines')

    const health = await fetch(`http://127.0.0.1:${apiPort}/health`) // the Docker HEALTHCHECK's request: no token
    assert.ok(health.status === 200 || health.status === 206, `/health answered ${health.status}`)
    const [command, ...args] = healthcheckCommand()
    const probe = await run(command === 'node' ? process.execPath : command!, args, COMMAND_TIMEOUT_MS, { P2PNODE_HOME: home })
    assert.is(probe.code, 0, `the Dockerfile's HEALTHCHECK fails against a running node\n${probe.stderr}`)
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    // a labelled metric with no samples yet prints only its HELP and TYPE lines
    for (const name of dashboardMetrics()) assert.ok(metrics.includes(`# TYPE ${name} `), `the Grafana dashboard's metric ${name} is exported`)

    node.kill('SIGTERM')
    const stopped = await Promise.race([exited(node), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS))])
    assert.is.not(stopped, 'timeout', `the node did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM`)
    assert.equal(stopped, { code: 0, signal: null }, `a clean stop exits 0\n${log.slice(-1000)}`)
    const after = await run(command === 'node' ? process.execPath : command!, args, COMMAND_TIMEOUT_MS, { P2PNODE_HOME: home })
    assert.is(after.code, 1, "the Dockerfile's HEALTHCHECK fails once the node is stopped")
    console.log(`  total: ${((Date.now() - started) / 1000).toFixed(1)} s`)
  } finally {
    if (node && node.exitCode === null && node.signalCode === null) node.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
