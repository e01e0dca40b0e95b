// The validator's double-sign record (keys/signer-state-<key>.json) through the real binary:
// reset, import and init --force keep it, only --unsafe-reset-signer discards it, start refuses an
// unreadable one, and a key file others can read stops the command. Votes are recorded into the
// home through the SignerState API, as the consensus loop records them.

import { chmod, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SignatureKind, ValidatorSigner, type Vote, VoteStep, genesisId, signBls, voteSigningMessage } from '../../packages/core/src/index.ts'
import { Client } from '../../packages/node/src/api/client.ts'
import { loadHome } from '../../packages/node/src/home/home.ts'
import { SignerState } from '../../packages/node/src/home/signer-state.ts'
import { apiToken, cli, cliJson, freeBasePort, initSolo, spawnCli, stopChild, tempDir, waitFor } from './node-helpers.ts'

let dir: string
let n = 0

test.before(async () => {
  dir = await tempDir('p2pnode-cli-signer-')
})
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function newHome(): Promise<{ home: string; base: number }> {
  const home = join(dir, `home${n++}`)
  const base = await freeBasePort(1)
  await initSolo(home, base)
  return { home, base }
}

/** Records the home's own precommit at `height` and returns the record's path. */
async function recordVote(home: string, height: number): Promise<string> {
  const loaded = await loadHome(home)
  const key = new ValidatorSigner(loaded.keys.validatorSeed)
  const entity = genesisId(loaded.genesis)
  const network = loaded.genesis.network
  const target = { height, round: 0, step: VoteStep.Precommit, blockHash: new Uint8Array(32).fill(height) }
  const vote: Vote = { network, entity, validator: 0, ...target, signature: signBls(key.secret, { network, entity, kind: SignatureKind.Vote }, voteSigningMessage(target)) }
  const state = await SignerState.load(loaded.paths, key.publicKey)
  await state.record(vote)
  return state.path
}

const exists = (path: string) => stat(path).then(() => true, () => false)

type SignerJson = { path: string; present: boolean; height: number | null; problem: string | null }

test('reset --yes keeps the double-sign record; only --unsafe-reset-signer deletes it, with a warning', async () => {
  const { home } = await newHome()
  const path = await recordVote(home, 12)
  const before = await readFile(path)

  const kept = await cliJson<{ signerState: SignerJson & { removed: boolean } }>(['--home', home, 'reset', '--yes'])
  assert.equal(kept.signerState, { path, present: true, height: 12, round: 0, step: VoteStep.Precommit, problem: null, removed: false })
  assert.equal(await readFile(path), before, 'untouched')
  const text = await cli(['--home', home, 'reset', '--yes'])
  assert.is(text.code, 0, text.stderr)
  assert.match(text.stdout, /double-sign record kept: .*height 12 round 0 precommit/)

  const refused = await cli(['--home', home, 'reset', '--unsafe-reset-signer'])
  assert.is(refused.code, 2, 'still needs --yes')
  assert.ok(await exists(path))

  const unsafe = await cli(['--home', home, 'reset', '--yes', '--unsafe-reset-signer', '--json'])
  assert.is(unsafe.code, 0, unsafe.stderr)
  assert.is((JSON.parse(unsafe.stdout) as { signerState: { removed: boolean } }).signerState.removed, true)
  assert.match(unsafe.stderr, /WARNING/)
  assert.is(await exists(path), false, 'deleted')
})

test('import replaces the chain and keeps the double-sign record', async () => {
  const { home } = await newHome()
  const backup = join(dir, 'empty.bak')
  const exported = await cliJson<{ height: number }>(['--home', home, 'export', backup])
  assert.is(exported.height, 0)
  const path = await recordVote(home, 40)
  const before = await readFile(path)
  const imported = await cliJson<{ height: number; signerState: SignerJson }>(['--home', home, 'import', backup])
  assert.is(imported.signerState.height, 40, 'a record ahead of the backup is kept, not refused')
  assert.equal(await readFile(path), before)
})

test("init --force makes new keys and keeps the old key's record under the old key's name", async () => {
  const { home } = await newHome()
  const path = await recordVote(home, 7)
  const before = await readFile(path)
  const oldKey = (await cliJson<{ validatorPublicKey: string }>(['--home', home, 'keys', 'show'])).validatorPublicKey
  const forced = await cliJson<{ validatorPublicKey: string; signerStates: string[] }>(['--home', home, 'init', '--force'])
  assert.is.not(forced.validatorPublicKey, oldKey)
  assert.equal(forced.signerStates, [path])
  assert.ok(path.includes(oldKey.slice(0, 16)), 'named for the old key')
  assert.equal(await readFile(path), before)
  const text = await cli(['--home', home, 'init', '--force'])
  assert.match(text.stdout, /kept double-sign record: .*an earlier validator key's/)
})

test('start refuses an unreadable record (exit 3, naming the flag); --unsafe-reset-signer moves it aside and starts', async () => {
  const { home, base } = await newHome()
  const path = await recordVote(home, 3)
  await writeFile(path, '{"version":1,"validatorPub')
  const refused = await cli(['--home', home, 'start'])
  assert.is(refused.code, 3, refused.stderr)
  assert.match(refused.stderr, /corrupt/)
  assert.match(refused.stderr, /hint: .*--unsafe-reset-signer/)
  assert.not.match(refused.stderr, /    at /)
  assert.is(await exists(join(home, 'data')), false, 'refused before the node opened anything')

  const node = spawnCli(['--home', home, 'start', '--unsafe-reset-signer'])
  try {
    const client = new Client({ url: `http://127.0.0.1:${base + 1}`, token: await apiToken(home), timeoutMs: 2_000 })
    await waitFor('the API answers', async () => (await client.health()) !== undefined, 30_000, 200)
    assert.match(node.out.stderr, /WARNING/)
    assert.ok(await exists(`${path}.corrupt`), 'kept for a post-mortem')
  } finally {
    const stopped = await stopChild(node)
    assert.is(stopped.code, 0, stopped.stderr)
  }
})

test('a key file others can read stops the commands that load the home (exit 3, hint chmod 600)', async () => {
  const { home } = await newHome()
  const key = join(home, 'keys', 'validator.key')
  await chmod(key, 0o644)
  for (const args of [['keys', 'show'], ['start'], ['reset', '--yes']]) {
    const r = await cli(['--home', home, ...args])
    assert.is(r.code, 3, `${args.join(' ')}: ${r.stderr}`)
    assert.match(r.stderr, new RegExp(`hint: chmod 600 ${key}`), args.join(' '))
  }
  await chmod(key, 0o600)
  assert.is((await cli(['--home', home, 'keys', 'show'])).code, 0)
})

test.run()
