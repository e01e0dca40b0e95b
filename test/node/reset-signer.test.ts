// A validator that signed at a height, then had its data reset (`p2pnode reset --yes`, which
// deletes <home>/data), must not sign a conflicting vote at that height when it starts again
// (review M-3). Two validators of equal shares, only one running: it proposes and prevotes but
// can never reach a quorum, so the height stays open across the reset. Before the record beside
// the key existed, the reset node proposed a new block (a new time, a new hash) and prevoted it:
// two prevotes of one key for one height and round.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AccountSigner, LevelStore, Server, ValidatorSigner, type Vote, VoteStep, genesisId, proposerIndex, toHex } from '../../packages/core/src/index.ts'
import { loadHome } from '../../packages/node/src/home/home.ts'
import { generateTestnet } from '../../packages/node/src/home/testnet.ts'
import { startNode } from '../../packages/node/src/node.ts'
import { silentLogger } from '../../packages/node/src/logger.ts'
import { RESEND_AFTER_MS } from '../../packages/node/src/consensus/loop.ts'
import { FAST_CONSENSUS, waitFor } from '../e2e/cluster.ts'
import { cli } from '../cli/node-helpers.ts'

/** The votes the node's server recorded in its database for the genesis entity. */
async function ledgerVotes(home: string): Promise<Vote[]> {
  const { keys, genesis, paths } = await loadHome(home)
  const store = await LevelStore.open(paths.data)
  try {
    const account = new AccountSigner(keys.accountSeed)
    const id = createHash('sha256').update('p2pnode server').update(account.publicKey).digest()
    const server = await Server.open({ id, store, entities: [genesis], validatorSeeds: [keys.validatorSeed], accountSeeds: [keys.accountSeed] })
    return server.validator(new ValidatorSigner(keys.validatorSeed).id)!.signedVotes(genesisId(genesis))
  } finally {
    await store.close()
  }
}

const prevoteAt = (votes: Vote[], height: number, round: number) => votes.find((v) => v.height === height && v.round === round && v.step === VoteStep.Prevote)

test('a validator reset mid-height never signs a conflicting vote there', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-reset-signer-'))
  try {
    const { nodes, genesis } = await generateTestnet({ out: dir, validators: 2, basePort: 30_000 + Math.floor(Math.random() * 5_000) * 4, config: FAST_CONSENSUS })
    const home = nodes[proposerIndex(genesis.validators, 1, 0)]!.home
    let node = await startNode({ home, logger: silentLogger() })
    await waitFor('its own block prevoted', () => node.api.status().step === 'prevote', 15_000)
    await node.stop()
    const before = prevoteAt(await ledgerVotes(home), 1, 0)
    assert.ok(before?.blockHash, 'it prevoted a block at height 1, round 0')

    const reset = await cli(['--home', home, 'reset', '--yes'])
    assert.is(reset.code, 0, reset.stderr)

    node = await startNode({ home, logger: silentLogger() })
    // a conflicting vote would be signed at once; allow two re-gossip periods besides
    const until = Date.now() + 2 * RESEND_AFTER_MS
    await waitFor('two re-gossip periods', () => Date.now() > until, 10_000)
    const resumed = node.api.status()
    await node.stop()
    assert.ok(resumed.height === 0, 'no quorum without the other validator')
    const after = prevoteAt(await ledgerVotes(home), 1, 0)
    if (after) assert.is(toHex(after.blockHash!), toHex(before.blockHash!), 'a prevote at (1, 0) after the reset is the one signed before')
    assert.is(resumed.round, 0, 'still in the round it signed in')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
