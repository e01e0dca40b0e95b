// Proposals through the real binary on a real 4-validator network: node0 proposes a new
// validator set (its own shares doubled), node1 and node2 vote, and after the activation delay
// every node's entity shows the new set; then the entity is closed to strangers (openAccounts 0)
// and one stranger admitted by accounts.allow (review H-6).

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AccountSigner, TxKind, VALIDATOR_SET_CHANGE_DELAY, encodeCounterAdd, encodeTx, fromHex, sha256, toHex, utf8 } from '../../packages/core/src/index.ts'
import { ClientError } from '../../packages/node/src/api/client.ts'
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
    ['accounts.allow of no one', ['proposal', 'create', 'accounts.allow']],
    ['account not 20 bytes', ['proposal', 'create', 'accounts.deny', 'ab'.repeat(19)]],
    ['account twice', ['proposal', 'create', 'accounts.allow', 'ab'.repeat(20), 'AB'.repeat(20)]],
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

/** node0's validator creates a proposal, node1's and node2's vote for it: 3 of 4 validators. */
async function pass(...action: string[]): Promise<string> {
  const created = await json<{ id: string }>(0, 'proposal', 'create', ...action, '--expires', '1000', '--wait')
  await json(1, 'proposal', 'vote', created.id, '--wait')
  await json(2, 'proposal', 'vote', created.id, '--wait')
  return created.id
}

test('H-6: params.set openAccounts 0 closes the entity to strangers; accounts.allow admits one', async () => {
  const status = await node(0).client.status()
  const stranger = new AccountSigner(sha256(utf8('api-proposal stranger')))
  const tx = encodeTx(stranger.signTransaction({ network: status.network, entity: fromHex(status.entity), nonce: 0, kind: TxKind.CounterAdd, payload: encodeCounterAdd(1) }))
  const submit = async (): Promise<string> => {
    try {
      return (await node(0).client.submitTransaction(tx)).hash
    } catch (err) {
      if (err instanceof ClientError) return err.code
      throw err
    }
  }

  await pass('params.set', 'openAccounts', '0')
  // GET /entity shows the parameter
  await waitFor('node0 has the entity closed', async () => ((await node(0).client.entity()).params as { openAccounts?: number }).openAccounts === 0)
  assert.is(await submit(), 'TX_ACCOUNT_NOT_ADMITTED')
  // a validator's own account still sends
  assertExit(await cli(3, 'tx', 'counter-add', '1', '--wait'), 0, 'a validator sends on a closed entity')

  const allowed = await pass('accounts.allow', toHex(stranger.address))
  // node0 admits the stranger once it has the block that passed the proposal
  const hash = await waitFor('node0 admits the stranger', async () => {
    const result = await submit()
    return result === 'TX_ACCOUNT_NOT_ADMITTED' ? undefined : result
  })
  assertHex(hash, 32, `the stranger's transaction (got ${hash})`)
  const list = await json<ProposalJson[]>(0, 'proposal', 'list')
  assert.not.ok(list.some((p) => p.id === allowed), 'node0 has the block that passed the accounts.allow, which closed it')
  await waitFor('the stranger\'s transaction commits', async () => (await node(0).client.transactionStatus(hash)).status === 'committed', 30_000)
})

test.run()
