// `p2pnode devnet` with a ring of 4: separate node processes that find each other (each with at
// least its two ring neighbours, seen through the API), and SIGINT stops every one of them.

import { readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Client } from '../../packages/node/src/api/client.ts'
import { apiToken, cli, freeBasePort, spawnCli, stopChild, tempDir, waitFor } from './node-helpers.ts'

type Described = { dir: string; network: string; nodes: Array<{ name: string; home: string; api: string; bootstrap: string[]; log: string; pid: number }> }

let dir: string
let devnet: ReturnType<typeof spawnCli> | undefined

test.before(async () => {
  dir = await tempDir()
})
test.after(async () => {
  if (devnet) await stopChild(devnet, 'SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('a ring of 4 becomes a connected network; SIGINT stops every node', async () => {
  const base = await freeBasePort(4)
  devnet = spawnCli(['devnet', '--validators', '4', '--topology', 'a-b, b-c, c-d, d-a', '--dir', join(dir, 'net'), '--base-port', String(base), '--json'])
  const described = await waitFor('the devnet description', () => {
    const line = devnet!.out.stdout.split('\n')[0]
    return line && devnet!.out.stdout.includes('\n') ? (JSON.parse(line) as Described) : undefined
  }, 30_000)
  assert.is(described.nodes.length, 4)
  assert.equal(described.nodes.map((n) => n.bootstrap), [['node1', 'node3'], ['node0', 'node2'], ['node1', 'node3'], ['node0', 'node2']])
  const clients = await Promise.all(described.nodes.map(async (n) => new Client({ url: n.api, token: await apiToken(n.home), timeoutMs: 2_000 })))
  const statuses = await waitFor('every node with >= 2 peers and blocks', async () => {
    const all = await Promise.all(clients.map((c) => c.status()))
    return all.every((s) => s.peers >= 2 && s.height >= 2) ? all : undefined
  }, 45_000, 250)
  for (const [i, s] of statuses.entries()) assert.ok(s.peers >= 2, `${described.nodes[i]!.name} has ${s.peers} peers`)
  assert.ok(new Set(statuses.map((s) => s.network)).size === 1)
  // the live lines: one JSON line per tick with every node
  await waitFor('a status line', () => devnet!.out.stdout.split('\n').filter(Boolean).length >= 2, 10_000)
  const tick = JSON.parse(devnet.out.stdout.split('\n')[1]!) as { nodes: Array<{ name: string; height: number; peers: number; txPerSecond: number }> }
  assert.equal(tick.nodes.map((n) => n.name), ['node0', 'node1', 'node2', 'node3'])
  for (const n of tick.nodes) assert.type(n.txPerSecond, 'number')

  const result = await stopChild(devnet, 'SIGINT', 30_000)
  devnet = undefined
  assert.is(result.code, 0, result.stderr)
  for (const n of described.nodes) assert.not.ok(alive(n.pid), `${n.name} (pid ${n.pid}) is gone`)
  for (const n of described.nodes) assert.match(await readFile(n.log, 'utf8'), /node started/, `${n.name} logged to ${n.log}`)
  assert.ok((await stat(join(dir, 'net', 'logs'))).isDirectory())
})

test('devnet --entities 2: e0 and e1 registered beside the root, each running on its three validators', async () => {
  const base = await freeBasePort(4)
  devnet = spawnCli(['devnet', '--validators', '3', '--followers', '1', '--entities', '2', '--dir', join(dir, 'ents'), '--base-port', String(base), '--json'])
  type Tick = { nodes: Array<{ name: string; height: number; entities: Record<string, number> }> }
  const lines = () => devnet!.out.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
  const made = await waitFor('the entities line', () => lines().find((l) => 'entities' in l) as { entities: Array<{ name: string; validators: number[] }> } | undefined, 60_000, 250)
  assert.equal(made.entities.map((e) => [e.name, e.validators]), [['e0', [0, 1, 2]], ['e1', [1, 2, 3]]])
  const tick = await waitFor('both entities at height 3 on every member', () => {
    const last = lines().filter((l) => 'time' in l).at(-1) as Tick | undefined
    const ok = last && made.entities.every((e) => e.validators.every((i) => (last.nodes[i]!.entities[e.name] ?? 0) >= 3))
    return ok ? last : undefined
  }, 45_000, 250)
  assert.equal(Object.keys(tick.nodes[0]!.entities), ['e0'], 'node0 validates e0 only')
  assert.equal(Object.keys(tick.nodes[1]!.entities), ['e0', 'e1'], 'node1 validates both')
  const result = await stopChild(devnet, 'SIGINT', 30_000)
  devnet = undefined
  assert.is(result.code, 0, result.stderr)
})

test('devnet errors: a bad topology is exit 7, a foreign directory is exit 10', async () => {
  const [topology, foreign] = await Promise.all([
    cli(['devnet', '--validators', '3', '--topology', 'a-b, b-d', '--dir', join(dir, 't')]),
    cli(['devnet', '--dir', dir, '--base-port', String(await freeBasePort(4))]), // holds this test's files, not a devnet
  ])
  assert.is(topology.code, 7, topology.stderr)
  assert.match(topology.stderr, /"d" is not one of the 3 nodes/)
  assert.is(foreign.code, 10, foreign.stderr)
  assert.match(foreign.stderr, /not a devnet directory/)
})

test.run()
