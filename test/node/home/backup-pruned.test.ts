// Export of a pruned home (home/backup.ts): a backup holds every block from 1, so a home that
// pruned old blocks (storage.keepBlocks) is refused with BACKUP_PRUNED, and no file is left; a
// database of a layout this release does not read is refused before anything is read from it.

import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LevelStore, SCHEMA_VERSION, Server, encodeRlp, encodeUint, schemaVersionKey, encodeBlock, encodeCommit, encodeServerInput, encodeString, proposerIndex, pruneBlocks } from '../../../packages/core/src/index.ts'
import { BackupError, exportChain } from '../../../packages/node/src/home/backup.ts'
import { makeChain, seed } from '../../fixtures/chain.ts'

const chain = makeChain()

test('a pruned home is not exported: BACKUP_PRUNED, and no file is left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-backup-'))
  try {
    const home = { paths: { data: join(dir, 'data') }, genesis: chain.genesis, keys: { validatorSeed: seed('v-bls-0'), accountSeed: seed('v-acct-0') } }
    const store = await LevelStore.open(home.paths.data)
    const server = await Server.open({ id: seed('backup test server'), store, entities: [chain.genesis], sync: false })
    const entity = server.entity(chain.entity)!
    for (let h = 1; h <= 5; h++) {
      const built = entity.propose(chain.genesis.time + 100 * h, proposerIndex(entity.tip.state.validators(), h, 0))
      server.receive(encodeServerInput([[chain.entity, [encodeString('block'), encodeBlock(built.block), encodeCommit(chain.commit(h, built.hash))]]]))
      await server.seal(h)
    }
    // exported whole before pruning
    await store.close()
    assert.is((await exportChain(home, join(dir, 'whole.p2pbak'))).height, 5)
    const reopened = await LevelStore.open(home.paths.data)
    const again = await Server.open({ id: seed('backup test server'), store: reopened, entities: [chain.genesis], sync: false })
    await pruneBlocks(again.entity(chain.entity)!.chainStore, 4, 10)
    await reopened.close()

    const file = join(dir, 'pruned.p2pbak')
    const err = await exportChain(home, file).then(() => undefined, (e: unknown) => e)
    assert.instance(err, BackupError)
    assert.is((err as BackupError).code, 'BACKUP_PRUNED')
    assert.is((err as BackupError).details['firstKept'], 4)
    for (const left of [file, `${file}.partial`]) assert.is(await access(left).then(() => 'there', () => 'absent'), 'absent', left)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a database of another schema version is not exported: STORAGE_SCHEMA_UNSUPPORTED', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-backup-'))
  try {
    const home = { paths: { data: join(dir, 'data') }, genesis: chain.genesis, keys: { validatorSeed: seed('v-bls-0'), accountSeed: seed('v-acct-0') } }
    const store = await LevelStore.open(home.paths.data)
    await store.put(schemaVersionKey(), encodeRlp(encodeUint(SCHEMA_VERSION + 1)))
    await store.close()
    const err = await exportChain(home, join(dir, 'newer.p2pbak')).then(() => undefined, (e: { code?: string }) => e.code)
    assert.is(err, 'STORAGE_SCHEMA_UNSUPPORTED')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
