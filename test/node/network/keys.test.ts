import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { NODE_KEY_FILE, loadOrCreateNodeKey } from '../../../packages/node/src/index.ts'
import { removeHomes, tempHome } from './helpers.ts'

test('the node key is created once with mode 0600 and loads back the same', async () => {
  try {
    const home = join(await tempHome('keys'), 'nested')
    const first = await loadOrCreateNodeKey(home)
    const mode = (await stat(join(home, NODE_KEY_FILE))).mode & 0o777
    assert.is(mode, 0o600)
    const again = await loadOrCreateNodeKey(home)
    assert.is(peerIdFromPrivateKey(again).toString(), peerIdFromPrivateKey(first).toString())
    assert.is(first.type, 'Ed25519')
  } finally {
    await removeHomes()
  }
})

test.run()
