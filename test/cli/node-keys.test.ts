// Several validator keys in one home: `keys add` writes one (0600) beside the primary, `keys
// list` shows them all, `keys show --key PREFIX` prints one as --from-keys wants it, and the node
// loads them all (each with its own double-sign record) when it starts.

import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadHome, validatorSeeds } from '../../packages/node/src/home/home.ts'
import { assertExit, removeDir, runCli, runJson } from './helpers.ts'
import { tempDir } from './node-helpers.ts'

test('keys add, keys list and keys show --key', async () => {
  const dir = await tempDir()
  const home = join(dir, 'home')
  try {
    assertExit(await runCli(['--home', home, 'init', '--network', 'keysnet']), 0, 'init')
    const primary = await runJson<{ validatorPublicKey: string; accountAddress: string }>(['--home', home, 'keys', 'show'])
    const added = await runJson<{ validatorPublicKey: string; proofOfPossession: string }>(['--home', home, 'keys', 'add'])
    assert.match(added.validatorPublicKey, /^[0-9a-f]{96}$/)
    assert.is.not(added.validatorPublicKey, primary.validatorPublicKey)
    const file = join(home, 'keys', 'validators', `${added.validatorPublicKey.slice(0, 16)}.key`)
    assert.is((await stat(file)).mode & 0o777, 0o600, 'the new key is for its owner only')
    const listed = await runJson<{ account: string; validators: Array<{ validatorPublicKey: string; primary: boolean }> }>(['--home', home, 'keys', 'list'])
    assert.equal(listed.validators.map((v) => [v.validatorPublicKey, v.primary]), [[primary.validatorPublicKey, true], [added.validatorPublicKey, false]])
    assert.is(listed.account, primary.accountAddress)
    const shown = await runJson<{ validatorPublicKey: string; proofOfPossession: string; accountAddress: string }>(['--home', home, 'keys', 'show', '--key', added.validatorPublicKey.slice(0, 10)])
    assert.is(shown.validatorPublicKey, added.validatorPublicKey)
    assert.is(shown.proofOfPossession, added.proofOfPossession)
    assert.is(shown.accountAddress, primary.accountAddress, 'one account for all the keys')
    assertExit(await runCli(['--home', home, 'keys', 'show', '--key', 'ffffffffffffffffff']), 6, 'no such key')
    assert.is(validatorSeeds((await loadHome(home)).keys).length, 2, 'the node loads both')
  } finally {
    await removeDir(dir)
  }
})

test.run()
