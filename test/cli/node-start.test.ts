// start (SIGTERM stops it cleanly, port in use is exit 8), reset, export and import, through the
// real binary, with one single-validator node (init's solo genesis commits blocks alone).

import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Client } from '../../packages/node/src/api/client.ts'
import { apiToken, cli, cliJson, freeBasePort, initSolo, spawnCli, stopChild, tempDir, waitFor } from './node-helpers.ts'

let dir: string
let base: number
let home: string
let node: ReturnType<typeof spawnCli> | undefined
let client: Client
const backup = () => join(dir, 'chain.bak')

type Exported = { file: string; network: string; entity: string; height: number; headHash: string; stateRoot: string }

test.before(async () => {
  dir = await tempDir()
  base = await freeBasePort(3)
  home = join(dir, 'solo')
  await initSolo(home, base)
  client = new Client({ url: `http://127.0.0.1:${base + 1}`, token: await apiToken(home), timeoutMs: 2_000 })
})
test.after(async () => {
  if (node) await stopChild(node, 'SIGKILL')
  await rm(dir, { recursive: true, force: true })
})

test('start runs the node; export, import and reset refuse while it runs', async () => {
  node = spawnCli(['--home', home, 'start'])
  await waitFor('height 3', async () => (await client.status()).height >= 3, 30_000, 200)
  const results = await Promise.all([cli(['--home', home, 'export', backup()]), cli(['--home', home, 'reset', '--yes']), cli(['--home', home, 'import', backup()]), cli(['--home', home, 'start'])])
  for (const [i, r] of results.entries()) {
    assert.is(r.code, 12, `case ${i}: ${r.stderr}`)
    assert.match(r.stderr, /running/, `case ${i}`)
    assert.match(r.stderr, /hint:/, `case ${i}`)
  }
  assert.is(await stat(backup()).then(() => true, () => false), false, 'no backup written')
})

test('start on a port in use is exit 8 naming the port and its config field', async () => {
  // another home whose API port is the running node's
  const other = join(dir, 'other')
  const port = await freeBasePort(1)
  await initSolo(other, port, ['--api', `127.0.0.1:${base + 1}`])
  const api = await cli(['--home', other, 'start'])
  assert.is(api.code, 8, api.stderr)
  assert.match(api.stderr, new RegExp(`port ${base + 1} \\(api\\.port\\) is in use`))
  assert.match(api.stderr, /hint: .*--api/)
  assert.not.match(api.stderr, /    at /)
  // a flag overrides the file: the P2P port of the running node
  const p2p = await cli(['--home', other, 'start', '--api', `127.0.0.1:${port + 1}`, '--listen', `/ip4/127.0.0.1/tcp/${base}`])
  assert.is(p2p.code, 8, p2p.stderr)
  assert.match(p2p.stderr, new RegExp(`port ${base} \\(p2p\\.listen\\)`))
  // the environment overrides the file too, and a flag overrides the environment
  const blocker: Server = createServer()
  await new Promise<void>((r) => blocker.listen(port + 1, '127.0.0.1', () => r()))
  try {
    const env = await cli(['--home', other, 'start', '--listen', `/ip4/127.0.0.1/tcp/${port}`], { P2PNODE_API: `127.0.0.1:${port + 1}` })
    assert.is(env.code, 8, env.stderr)
    assert.match(env.stderr, new RegExp(`port ${port + 1} \\(api\\.port\\)`))
  } finally {
    blocker.close()
  }
  const bad = await cli(['--home', other, 'start', '--bootstrap', '/dns4/x'])
  assert.is(bad.code, 7, bad.stderr)
})

test('SIGTERM stops the node cleanly (exit 0)', async () => {
  const result = await stopChild(node!, 'SIGTERM')
  node = undefined
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stderr, /SIGTERM: stopping/)
})

test('export, then import into a fresh home with the same genesis: same head and state root', async () => {
  const exported = await cliJson<Exported & { bytes: number }>(['--home', home, 'export', backup()])
  assert.ok(exported.height >= 3)
  assert.match(exported.headHash, /^[0-9a-f]{64}$/)
  assert.is((await stat(backup())).size, exported.bytes)

  const fresh = join(dir, 'fresh')
  await initSolo(fresh, await freeBasePort(1))
  // another genesis: refused
  const wrong = await cli(['--home', fresh, 'import', backup()])
  assert.is(wrong.code, 7, wrong.stderr)
  assert.match(wrong.stderr, /this home's genesis/)

  await cp(join(home, 'genesis.json'), join(fresh, 'genesis.json'))
  const imported = await cliJson<Exported>(['--home', fresh, 'import', backup()])
  assert.is(imported.height, exported.height)
  assert.is(imported.headHash, exported.headHash)
  assert.is(imported.stateRoot, exported.stateRoot)
  // read back from the imported home's own database
  const again = await cliJson<Exported>(['--home', fresh, 'export', join(dir, 'again.bak')])
  assert.equal([again.height, again.headHash, again.stateRoot], [exported.height, exported.headHash, exported.stateRoot])
  assert.equal(await readFile(join(dir, 'again.bak')), await readFile(backup()), 'the same bytes')

  const twice = await cli(['--home', fresh, 'import', backup()])
  assert.is(twice.code, 9, 'a chain that holds blocks is not imported into')
  assert.match(twice.stderr, /reset --yes/)
})

test('a corrupted or truncated backup is refused with the height of the bad block; the home is left as it was', async () => {
  const target = join(dir, 'target')
  await initSolo(target, await freeBasePort(1))
  await cp(join(home, 'genesis.json'), join(target, 'genesis.json'))
  const bytes = await readFile(backup())
  const flipped = Buffer.from(bytes)
  flipped[bytes.length - 40] = flipped[bytes.length - 40]! ^ 0xff // inside the last record's commit signature
  await writeFile(join(dir, 'flipped.bak'), flipped)
  await writeFile(join(dir, 'short.bak'), bytes.subarray(0, bytes.length - 10))
  await writeFile(join(dir, 'junk.bak'), 'not a backup')
  // one after another: two imports into one home at once would race for its scratch database
  const bad = await cli(['--home', target, 'import', join(dir, 'flipped.bak')])
  const short = await cli(['--home', target, 'import', join(dir, 'short.bak')])
  const junk = await cli(['--home', target, 'import', join(dir, 'junk.bak')])
  const missing = await cli(['--home', target, 'import', join(dir, 'nothing.bak')])
  const { height } = JSON.parse((await cli(['--home', home, 'export', join(dir, 'x.bak'), '--json'])).stdout) as Exported
  assert.is(bad.code, 7, bad.stderr)
  assert.match(bad.stderr, new RegExp(`block ${height} `))
  assert.match(short.stderr, new RegExp(`block ${height}`))
  assert.is(short.code, 7)
  assert.is(junk.code, 7)
  assert.match(junk.stderr, /not a p2pnode chain backup/)
  assert.is(missing.code, 7)
  for (const r of [bad, short, junk]) assert.match(r.stderr, /nothing was imported/)
  const entries = await readdir(target)
  assert.not.ok(entries.includes('data.importing'), 'no scratch database left')
  // still empty: a good backup imports afterwards
  const good = await cli(['--home', target, 'import', backup()])
  assert.is(good.code, 0, good.stderr)
})

test('reset refuses without --yes, then deletes the chain data and keeps keys, config and genesis', async () => {
  const keep = ['keys/validator.key', 'keys/account.key', 'config.json', 'genesis.json', 'api-token', 'p2p/node-key']
  const before = await Promise.all(keep.map((f) => readFile(join(home, f))))
  const refused = await cli(['--home', home, 'reset'])
  assert.is(refused.code, 2)
  assert.match(refused.stderr, /--yes/)
  assert.ok((await stat(join(home, 'data'))).isDirectory())
  const done = await cliJson<{ deleted: string; existed: boolean }>(['--home', home, 'reset', '--yes'])
  assert.is(done.deleted, join(home, 'data'))
  assert.is(done.existed, true)
  assert.is(await stat(join(home, 'data')).then(() => true, () => false), false)
  const after = await Promise.all(keep.map((f) => readFile(join(home, f))))
  for (const [i, f] of keep.entries()) assert.equal(after[i], before[i], f)
  const exported = await cliJson<Exported>(['--home', home, 'export', join(dir, 'empty.bak')])
  assert.is(exported.height, 0, 'the chain starts over')
})

test.run()
