// A validator restarted in the middle of a height resumes from the votes it signed before the
// stop, and never signs a conflicting one. Two validators of equal shares, only one running: it
// proposes and votes but can never reach a quorum, so the height stays open across the restart.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { proposerIndex } from '../../packages/core/src/index.ts'
import { generateTestnet } from '../../packages/node/src/home/testnet.ts'
import { startNode } from '../../packages/node/src/node.ts'
import { silentLogger } from '../../packages/node/src/logger.ts'
import { RESEND_AFTER_MS } from '../../packages/node/src/consensus/loop.ts'
import { FAST_CONSENSUS, waitFor } from '../e2e/cluster.ts'

test('a validator restarted mid-height keeps to the votes it signed before', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'p2pnode-restart-'))
  const failures: unknown[] = []
  const onRejection = (err: unknown) => failures.push(err)
  process.on('unhandledRejection', onRejection)
  try {
    const { nodes, genesis } = await generateTestnet({ out: dir, validators: 2, basePort: 30_000 + Math.floor(Math.random() * 5_000) * 4, config: FAST_CONSENSUS })
    // the proposer of height 1, round 0: before the restart it proposed a block and prevoted it;
    // a restart that forgot this would propose a new block (a new time) and prevote that one
    const home = nodes[proposerIndex(genesis.validators, 1, 0)]!.home
    let node = await startNode({ home, logger: silentLogger() })
    await waitFor('its own block prevoted', () => node.api.status().step === 'prevote', 15_000)
    await node.stop()

    node = await startNode({ home, logger: silentLogger() })
    // resumed where it stopped: prevote step of round 0, from the restored vote, not a new proposal
    const resumed = node.api.status()
    assert.is(resumed.round, 0)
    assert.is(resumed.step, 'prevote')
    // a conflicting vote would be signed at once (the first step of the resumed height); allow two
    // re-gossip periods, in which the node sends its held votes again, for one to surface
    const until = Date.now() + 2 * RESEND_AFTER_MS
    await waitFor('two re-gossip periods', () => failures.length > 0 || Date.now() > until, 10_000)
    assert.is(node.api.status().height, 0, 'no quorum without the other validator')
    await node.stop()
    assert.equal(failures, [], 'the signer guard never refused a vote the engine signed')
  } finally {
    process.off('unhandledRejection', onRejection)
    await rm(dir, { recursive: true, force: true })
  }
})

test.run()
