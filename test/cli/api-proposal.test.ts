// Proposals through the real binary on a real 4-validator network: node0 proposes a new
// validator set (its own shares doubled), node1 and node2 vote, and after the activation delay
// every node's entity shows the new set.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { VALIDATOR_SET_CHANGE_DELAY } from '../../packages/core/src/index.ts'
import { identityOf, loadHome } from '../../packages/node/src/home/home.ts'
import { Cluster, assertExit, assertHex, runCli, runJson, waitFor } from './helpers.ts'

let cluster: Cluster
const node = (i: number) => cluster.nodes[i]!
const cli = (i: number, ...args: string[]) => runCli(['--home', node(i).home, ...args])
const json = <T = Record<string, unknown>>(i: number, ...args: string[]) => runJson<T>(['--home', node(i).home, ...args])

interface ProposalJson {
  id: string
  action: { type: string; validators?: Array<{ publicKey: string; account: string; shares: number }> }
  creator: string
  shares: number
  expiresAt: number
  voters: string[]
}

test.before(async () => {
  cluster = await Cluster.start({ validators: 4 })
  await waitFor('the network commits', async () => (await node(0).client.status()).height >= 2, 30_000)
})
test.after(async () => {
  await cluster?.stop()
})

test('malformed proposals and votes exit 7 before reaching the node', async () => {
  const cases: Array<[string, string[]]> = [
    ['unknown action', ['proposal', 'create', 'validators.remove', 'x']],
    ['validator without its parts', ['proposal', 'create', 'validators.set', 'abcd:ef']],
    ['threshold of 1 or more', ['proposal', 'create', 'threshold.set', '4/3']],
    ['unknown parameter', ['proposal', 'create', 'params.set', 'blockTime', '5']],
    ['vote id not 32 bytes', ['proposal', 'vote', 'abcd']],
  ]
  const results = await Promise.all(cases.map(([, args]) => cli(0, ...args)))
  results.forEach((r, i) => assertExit(r, 7, cases[i]![0]))
  assert.match(results[0]!.stderr, /ACTION is one of/)
})

test('three validators of four change the validator set; it activates after the delay', async () => {
  const ids = await Promise.all(cluster.nodes.map(async (n) => identityOf((await loadHome(n.home)).keys)))
  const shares = [2, 1, 1, 1]
  const set = ids.map((id, i) => `${id.validatorPublicKey}:${id.accountAddress}:${shares[i]}:${id.proofOfPossession}`)

  // blocks come about ten a second: the proposal must outlive a few CLI start-ups on a loaded machine
  const created = await json<{ id: string; hash: string; height: number }>(0, 'proposal', 'create', 'validators.set', ...set, '--expires', '1000', '--wait')
  assertHex(created.id, 32, 'proposal id')
  assert.is(created.id, created.hash, 'a proposal is named by the transaction that created it')
  assert.type(created.height, 'number')

  // open on every node that has the block: node1 lists it with node0's vote
  const open = await waitFor('node1 sees the proposal', async () => (await json<ProposalJson[]>(1, 'proposal', 'list')).find((p) => p.id === created.id))
  assert.is(open.action.type, 'validators.set')
  assert.equal(open.action.validators!.map((v) => v.shares), shares)
  assert.equal(open.voters, [ids[0]!.accountAddress])
  assert.is(open.creator, ids[0]!.accountAddress)
  assert.is(open.shares, 1)
  assert.ok(open.expiresAt <= created.height + 1000)
  const table = await cli(1, 'proposal', 'list')
  assertExit(table, 0, 'proposal list')
  assert.ok(table.stdout.includes(created.id), table.stdout)
  assert.match(table.stdout, /validators\.set/)

  const first = await json<{ id: string; height: number }>(1, 'proposal', 'vote', created.id, '--wait')
  assert.is(first.id, created.id)
  const second = await json<{ id: string; height: number }>(2, 'proposal', 'vote', created.id, '--wait')
  assert.type(second.height, 'number')

  // passed with three of four shares: gone from the list, the new set in force after the delay
  const entity = await waitFor(
    'the new validator set on node3',
    async () => {
      const e = await node(3).client.entity()
      return e.validators.map((v) => v.shares).join(',') === shares.join(',') ? e : undefined
    },
    30_000,
  )
  assert.equal(entity.validators.map((v) => v.publicKey), ids.map((id) => id.validatorPublicKey))
  assert.ok(entity.height >= second.height + VALIDATOR_SET_CHANGE_DELAY - 1, `active at ${entity.height}, passed at ${second.height}`)
  assert.is(entity.pending, null)
  const after = await json<ProposalJson[]>(0, 'proposal', 'list')
  assert.not.ok(after.some((p) => p.id === created.id), 'a passed proposal is closed')
})

test.run()
