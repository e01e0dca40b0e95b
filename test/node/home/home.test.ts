// Home files: written whole or not at all, keys refused when others can read them (as ssh refuses
// such a private key), and init --force leaving every key's double-sign record where it was.

import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SignatureKind, type Vote, VoteStep, ValidatorSigner, genesisId, signBls, voteSigningMessage } from '../../../packages/core/src/index.ts'
import { tmpPathOf, writeFileAtomic } from '../../../packages/node/src/home/atomic-write.ts'
import { HomeError, initHome, loadHome, validatorPublicKeyOf } from '../../../packages/node/src/home/home.ts'
import { SignerState, signerStatePath } from '../../../packages/node/src/home/signer-state.ts'

let dir: string

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2pnode-home-'))
})
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function homeErrorCode(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run()
  } catch (err) {
    assert.instance(err, HomeError)
    return (err as HomeError).code
  }
  return undefined
}

test('writeFileAtomic: the new content with the asked mode, whatever the old file and a leftover tmp were', async () => {
  const path = join(dir, 'secret')
  await writeFile(path, 'old', { mode: 0o644 })
  await writeFile(tmpPathOf(path), 'torn garb', { mode: 0o666 })
  await writeFileAtomic(path, 'new', { mode: 0o600 })
  assert.is(await readFile(path, 'utf8'), 'new')
  assert.is((await stat(path)).mode & 0o777, 0o600)
  assert.is(await stat(tmpPathOf(path)).then(() => true, () => false), false)
  // a write that cannot happen leaves no tmp file behind
  const missing = join(dir, 'no-such-dir', 'file')
  await writeFileAtomic(missing, 'x').then(() => assert.unreachable('wrote into a missing directory'), () => undefined)
  assert.not.ok((await readdir(dir)).some((name) => name.endsWith('.tmp')))
})

test('a key file others can read or write is refused at load (HOME_KEY_PERMISSIONS), with chmod as the hint', async () => {
  const home = join(dir, 'perm')
  await initHome(home)
  await loadHome(home)
  for (const [file, mode] of [['validator.key', 0o644], ['account.key', 0o640], ['validator.key', 0o620]] as const) {
    const path = join(home, 'keys', file)
    await chmod(path, mode)
    let err: HomeError | undefined
    try {
      await loadHome(home)
    } catch (e) {
      err = e as HomeError
    }
    assert.instance(err, HomeError, `${file} 0${mode.toString(8)}`)
    assert.is(err!.code, 'HOME_KEY_PERMISSIONS', `${file} 0${mode.toString(8)}`)
    assert.is(err!.hint, `chmod 600 ${path}`)
    await chmod(path, 0o600)
  }
  await chmod(join(home, 'keys', 'validator.key'), 0o400)
  assert.is(await homeErrorCode(() => loadHome(home)), undefined, 'read-only for its owner is fine')
})

test('the API token is refused when others can read it or it is short (review L-4)', async () => {
  const home = join(dir, 'token')
  await initHome(home)
  await loadHome(home)
  const path = join(home, 'api-token')
  await chmod(path, 0o644)
  assert.is(await homeErrorCode(() => loadHome(home)), 'HOME_KEY_PERMISSIONS')
  await chmod(path, 0o600)
  await writeFile(path, 'abc123\n')
  assert.is(await homeErrorCode(() => loadHome(home)), 'HOME_BAD_FILE')
})

test('init writes every home file whole (no tmp left), keys 0600', async () => {
  const home = join(dir, 'whole')
  await initHome(home)
  const files = [...(await readdir(home)), ...(await readdir(join(home, 'keys'))).map((f) => `keys/${f}`)]
  assert.not.ok(files.some((f) => f.endsWith('.tmp')), files.join(' '))
  for (const f of ['keys/validator.key', 'keys/account.key', 'api-token']) assert.is((await stat(join(home, f))).mode & 0o777, 0o600, f)
})

test('init --force with new keys keeps the old key\'s record under its name; the same keys keep theirs in force', async () => {
  const home = join(dir, 'force')
  const first = await initHome(home)
  const loaded = await loadHome(home)
  const entity = genesisId(loaded.genesis)
  const signer = new ValidatorSigner(first.keys.validatorSeed)
  const target = { height: 7, round: 0, step: VoteStep.Precommit, blockHash: new Uint8Array(32).fill(1) }
  const vote: Vote = { network: loaded.genesis.network, entity, validator: 0, ...target, signature: signBls(signer.secret, { network: loaded.genesis.network, entity, kind: SignatureKind.Vote }, voteSigningMessage(target)) }
  await (await SignerState.load(loaded.paths, signer.publicKey)).record(vote)
  const oldPath = signerStatePath(loaded.paths.keys, signer.publicKey)
  const oldBytes = await readFile(oldPath)

  const again = await initHome(home, { force: true, keys: first.keys })
  assert.equal(again.signerStates, [oldPath])
  assert.is((await SignerState.load(again.paths, signer.publicKey)).highWater(entity)!.height, 7, 'the kept key still has its record')

  const fresh = await initHome(home, { force: true })
  assert.equal(fresh.signerStates, [oldPath], 'listed, so the CLI can say so')
  assert.equal(await readFile(oldPath), oldBytes, 'untouched')
  const newKey = validatorPublicKeyOf(fresh.keys)
  assert.is.not(signerStatePath(fresh.paths.keys, newKey), oldPath)
  assert.is((await SignerState.load(fresh.paths, newKey)).highWater(entity), undefined, 'the new key has no record of its own yet')
})

test.run()
