// init, keys show, id, testnet, genesis and their errors, through the real binary.

import { readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadHome } from '../../packages/node/src/home/home.ts'
import { cli, cliJson, tempDir } from './node-helpers.ts'

let dir: string
const HEX = /^[0-9a-f]+$/

test.before(async () => {
  dir = await tempDir()
})
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('init creates keys and token with mode 0600, refuses a second time (exit 10), --force overwrites', async () => {
  const home = join(dir, 'a')
  const made = await cliJson<{ home: string; network: string; peerId: string; validatorPublicKey: string; accountAddress: string }>(['--home', home, 'init', '--network', 'mynet', '--bootstrap', '/ip4/10.0.0.1/tcp/7400/p2p/12D3KooWNkC2CwDbkPMSjywBXWBqtG9Lz3WYEKP556LMFeFeKj8G'])
  assert.is(made.network, 'mynet')
  assert.match(made.peerId, /^12D3KooW/)
  for (const file of ['keys/validator.key', 'keys/account.key', 'api-token', 'p2p/node-key']) {
    assert.is((await stat(join(home, file))).mode & 0o777, 0o600, file)
  }
  const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'))
  assert.is(config.network, 'mynet')
  assert.equal(config.p2p.bootstrap, ['/ip4/10.0.0.1/tcp/7400/p2p/12D3KooWNkC2CwDbkPMSjywBXWBqtG9Lz3WYEKP556LMFeFeKj8G'])
  const key = await readFile(join(home, 'keys/validator.key'), 'utf8')

  const again = await cli(['--home', home, 'init'])
  assert.is(again.code, 10)
  assert.match(again.stderr, /already initialized/)
  assert.match(again.stderr, /hint: .*--force/)
  assert.not.match(again.stderr, /    at /) // no stack trace
  assert.is(await readFile(join(home, 'keys/validator.key'), 'utf8'), key, 'the keys are untouched')

  const forced = await cli(['--home', home, 'init', '--force'])
  assert.is(forced.code, 0, forced.stderr)
  assert.is.not(await readFile(join(home, 'keys/validator.key'), 'utf8'), key, 'new keys')
})

test('init: a bad multiaddr or API address is exit 7, and nothing is written', async () => {
  const home = join(dir, 'bad')
  const r = await Promise.all([
    cli(['--home', home, 'init', '--bootstrap', 'not-a-multiaddr']),
    cli(['--home', home, 'init', '--bootstrap', '/ip4/10.0.0.1/tcp/7400']),
    cli(['--home', home, 'init', '--listen', '/ip9/1/tcp/2']),
    cli(['--home', home, 'init', '--api', 'localhost:99999']),
  ])
  for (const [i, result] of r.entries()) {
    assert.is(result.code, 7, `case ${i}: ${result.stderr}`)
    assert.match(result.stderr, /^error: --(bootstrap|listen|api)/, `case ${i}`)
  }
  assert.match(r[1]!.stderr, /lacks \/p2p/)
  assert.is(await stat(home).then(() => true, () => false), false)
})

test('keys show --json and id --json print the public facts of the home', async () => {
  const home = join(dir, 'k')
  await cli(['--home', home, 'init', '--listen', '/ip4/127.0.0.1/tcp/7500'])
  const [keys, id] = await Promise.all([cliJson(['--home', home, 'keys', 'show']), cliJson(['--home', home, 'id'])])
  assert.match(String(keys['validatorPublicKey']), HEX)
  assert.is(String(keys['validatorPublicKey']).length, 96)
  assert.is(String(keys['proofOfPossession']).length, 192)
  assert.is(String(keys['accountPublicKey']).length, 64)
  assert.is(String(keys['accountAddress']).length, 40)
  assert.is(keys['network'], 'p2pnode')
  assert.match(String(id['peerId']), /^12D3KooW/)
  assert.equal(id['listen'], ['/ip4/127.0.0.1/tcp/7500'])
  assert.equal(id['announce'], [])
  assert.equal(id['multiaddrs'], [`/ip4/127.0.0.1/tcp/7500/p2p/${id['peerId']}`])
  assert.is(id['validatorPublicKey'], keys['validatorPublicKey'])
  assert.is(id['accountAddress'], keys['accountAddress'])
  const again = await cliJson(['--home', home, 'id'])
  assert.is(again['peerId'], id['peerId'], 'the peer id is stable')
})

test('a missing home is exit 3 with a hint to init', async () => {
  const home = join(dir, 'nowhere')
  const commands = [['keys', 'show'], ['id'], ['start'], ['export', join(dir, 'x.bak')], ['import', join(dir, 'x.bak')], ['reset', '--yes']]
  const results = await Promise.all(commands.map((args) => cli(['--home', home, ...args])))
  for (const [i, r] of results.entries()) {
    assert.is(r.code, 3, `${commands[i]![0]}: ${r.stderr}`)
    assert.match(r.stderr, /hint: run: p2pnode init --home/, commands[i]![0])
  }
  const env = await cli(['id'], { P2PNODE_HOME: home })
  assert.is(env.code, 3, 'P2PNODE_HOME is the home when --home is not given')
  assert.match(env.stderr, new RegExp(home))
})

test('testnet makes one home per node with a shared genesis and bootstrap lists', async () => {
  const out = join(dir, 'net')
  const made = await cliJson<{ network: string; nodes: Array<{ name: string; home: string; validator: boolean; peerId: string; multiaddr: string; p2pPort: number; apiPort: number }> }>(['testnet', '--validators', '3', '--followers', '1', '--out', out, '--base-port', '9100', '--network', 'tnet'])
  assert.is(made.nodes.length, 4)
  assert.equal(made.nodes.map((n) => n.validator), [true, true, true, false])
  assert.equal(made.nodes.map((n) => n.p2pPort), [9100, 9110, 9120, 9130])
  const genesis0 = await readFile(join(out, 'node0', 'genesis.json'), 'utf8')
  assert.is(JSON.parse(genesis0).validators.length, 3)
  for (const [i, n] of made.nodes.entries()) {
    assert.is(n.home, join(out, `node${i}`))
    assert.is(await readFile(join(n.home, 'genesis.json'), 'utf8'), genesis0, `${n.name} shares the genesis`)
    const config = JSON.parse(await readFile(join(n.home, 'config.json'), 'utf8'))
    assert.is(config.network, 'tnet')
    assert.equal(config.p2p.bootstrap, i === 0 ? [] : [made.nodes[0]!.multiaddr], n.name)
    assert.is(config.api.port, n.apiPort)
  }
  const again = await cli(['testnet', '--validators', '1', '--out', out])
  assert.is(again.code, 10, 'an existing testnet is not overwritten without --force')
  const hosts = await cli(['testnet', '--validators', '2', '--out', join(dir, 'net2'), '--hosts', '10.0.0.1'])
  assert.is(hosts.code, 7, hosts.stderr)
})

test('genesis from two keys show outputs is accepted by loadHome; a tampered proof of possession is refused', async () => {
  const [alice, bob] = [join(dir, 'alice'), join(dir, 'bob')]
  await Promise.all([cli(['--home', alice, 'init', '--network', 'pair']), cli(['--home', bob, 'init', '--network', 'pair'])])
  const [ka, kb] = await Promise.all([cli(['--home', alice, 'keys', 'show', '--json']), cli(['--home', bob, 'keys', 'show', '--json'])])
  await writeFile(join(dir, 'alice.json'), ka.stdout)
  await writeFile(join(dir, 'bob.json'), kb.stdout)
  const file = join(dir, 'genesis.json')
  const r = await cli(['genesis', '--network', 'pair', '--from-keys', join(dir, 'alice.json'), `${join(dir, 'bob.json')}:2`, '--threshold', '3/4', '--out', file])
  assert.is(r.code, 0, r.stderr)
  const json = JSON.parse(await readFile(file, 'utf8'))
  assert.equal(json.validators.map((v: { shares: number }) => v.shares), [1, 2])
  assert.equal(json.threshold, { numerator: 3, denominator: 4 })
  await writeFile(join(bob, 'genesis.json'), await readFile(file))
  const loaded = await loadHome(bob)
  assert.is(loaded.genesis.network, 'pair')
  assert.is(loaded.genesis.validators.length, 2)
  assert.is(Buffer.from(loaded.genesis.validators[0]!.publicKey).toString('hex'), JSON.parse(ka.stdout).validatorPublicKey)

  // by hand, with bob's proof of possession under alice's key
  const a = JSON.parse(ka.stdout)
  const b = JSON.parse(kb.stdout)
  const good = await cli(['genesis', '--network', 'pair', '--validator', `${a.validatorPublicKey}:${a.accountAddress}:1:${a.proofOfPossession}`])
  assert.is(good.code, 0, good.stderr)
  assert.is(JSON.parse(good.stdout).validators[0].publicKey, a.validatorPublicKey)
  const tampered = await cli(['genesis', '--network', 'pair', '--validator', `${a.validatorPublicKey}:${a.accountAddress}:1:${b.proofOfPossession}`])
  assert.is(tampered.code, 7, tampered.stderr)
  assert.match(tampered.stderr, /^error: the genesis is not valid/)
  assert.match(tampered.stderr, /hint:/)
  const none = await cli(['genesis', '--network', 'pair'])
  assert.is(none.code, 2)
  const malformed = await cli(['genesis', '--network', 'pair', '--validator', 'abc:def'])
  assert.is(malformed.code, 7)
})

test('every node command has --help with an example', async () => {
  const commands = [['init'], ['keys', 'show'], ['id'], ['start'], ['testnet'], ['genesis'], ['devnet'], ['export'], ['import'], ['reset']]
  const results = await Promise.all(commands.map((c) => cli([...c, '--help'])))
  for (const [i, r] of results.entries()) {
    assert.is(r.code, 0, commands[i]!.join(' '))
    assert.match(r.stdout, /Examples:\n  p2pnode /, commands[i]!.join(' '))
  }
  assert.match(results[6]!.stdout, /a-b, b-c, c-d, d-a/, 'devnet --help shows a ring')
  assert.match(results[6]!.stdout, /a-b, a-c, a-d, a-e/, 'and a star')
})

test.run()
