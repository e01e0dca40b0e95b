// The root entity's registry through the real binary on a real 4-validator network: node0
// registers an entity validated by nodes 1..3 (their `keys show --json` files), every node's
// registry shows it, `entity show --prove` verifies it against the root's committed state root,
// and what the registry refuses (a name taken, an unknown entity) exits with its own code. The
// proof check itself is also tried against tampered answers.

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  StateTree,
  encodeRlp,
  encodeString,
  encodeUint,
  fromHex,
  genesisId,
  makeGenesis,
  registryEntryKey,
  toHex,
  encodeGenesis,
  encodeStateProof,
} from '../../packages/core/src/index.ts'
import type { RegistryEntryProofView } from '../../packages/node/src/api/node-api.ts'
import { genesisToJson } from '../../packages/node/src/home/genesis-json.ts'
import { CliError, ExitCode } from '../../packages/cli/src/errors.ts'
import { verifyRegistryProof } from '../../packages/cli/src/commands/entity-proof.ts'
import { makeChain } from '../fixtures/chain.ts'
import { Cluster, assertExit, runCli, runJson, waitFor } from './helpers.ts'

let cluster: Cluster
const node = (i: number) => cluster.nodes[i]!
const cli = (i: number, ...args: string[]) => runCli(['--home', node(i).home, ...args])
const json = <T = Record<string, unknown>>(i: number, ...args: string[]) => runJson<T>(['--home', node(i).home, ...args])

test.before(async () => {
  cluster = await Cluster.start({ validators: 4 })
  await waitFor('the network commits', async () => (await node(0).client.status()).height >= 2, 30_000)
})
test.after(async () => {
  await cluster?.stop()
})

test('entity create registers an entity; every node shows it, proven against the root', async () => {
  const files: string[] = []
  for (const i of [1, 2, 3]) {
    const file = join(cluster.dir, `keys-${i}.json`)
    await writeFile(file, JSON.stringify(await json(i, 'keys', 'show')))
    files.push(file)
  }
  const created = await json<{ id: string; name: string; height: number }>(0, 'entity', 'create', '--name', 'payments', '--from-keys', ...files, '--threshold', '3/4', '--wait')
  assert.match(created.id, /^[0-9a-f]{64}$/)
  assert.is(created.name, 'payments')
  assert.ok(created.height > 0)
  for (const i of [0, 1, 2, 3]) {
    await waitFor(`node${i} at height ${created.height}`, async () => (await node(i).client.status()).height >= created.height, 20_000)
    const shown = await json<RegistryEntryProofView & { verified: boolean }>(i, 'entity', 'show', 'payments', '--prove')
    assert.ok(shown.verified, `node${i}`)
    assert.is(shown.entry.id, created.id)
    assert.equal(shown.entry.genesis.validators.map((v) => v.account), await Promise.all([1, 2, 3].map(async (j) => (await json<{ accountAddress: string }>(j, 'keys', 'show')).accountAddress)))
    assert.equal(shown.entry.genesis.threshold, { numerator: 3, denominator: 4 })
    const byId = await json<RegistryEntryProofView>(i, 'entity', 'show', created.id)
    assert.is(byId.entry.name, 'payments')
  }
  const registry = await json<{ count: number; entities: Array<{ id: string }> }>(2, 'entity', 'registry')
  assert.is(registry.count, 1)
  assert.equal(registry.entities.map((e) => e.id), [created.id])
})

test('a taken name is refused (exit 9, its code); an unknown entity is not found (exit 6)', async () => {
  const again = await cli(1, 'entity', 'create', '--name', 'payments', '--wait')
  assertExit(again, ExitCode.Refused, 'a second "payments"')
  assert.match(again.stderr, /TX_ENTITY_NAME_TAKEN/)
  assertExit(await cli(1, 'entity', 'show', 'nosuch'), ExitCode.NotFound, 'an unknown name')
  assertExit(await cli(1, 'entity', 'show', 'NOT A NAME'), ExitCode.BadInput, 'a malformed name')
  const own = await json<{ id: string }>(1, 'entity', 'create', '--wait')
  assert.is((await json<RegistryEntryProofView>(3, 'entity', 'show', own.id)).entry.genesis.validators.length, 1, "the node's own key by default")
})

test('entity list shows the root this node hosts: its role, height and the validators that signed its head', async () => {
  const listed = await json<Array<{ id: string; name: string; root: boolean; role: string; height: number; validators: number; validatorsOnline: number; peers: number }>>(2, 'entity', 'list')
  assert.is(listed.length, 1)
  const [root] = listed
  assert.is(root!.id, (await node(2).client.status()).entity)
  assert.is(root!.name, 'root')
  assert.ok(root!.root)
  assert.is(root!.role, 'validator')
  assert.ok(root!.height > 0)
  assert.is(root!.validators, 4)
  assert.ok(root!.validatorsOnline >= 3 && root!.validatorsOnline <= 4, `a quorum of 4 signed the head: ${root!.validatorsOnline}`)
  assert.is(root!.peers, 3, 'the three others on its vote topic')
  const table = await cli(2, 'entity', 'list')
  assertExit(table, 0, 'entity list')
  assert.match(table.stdout, /root\s+validator/)
})

test("a tampered registry answer is refused by entity show --prove's check", () => {
  const chain = makeChain([1, 1], 'testnet', 'e')
  const genesis = makeGenesis({ network: 'testnet', time: 1, validators: chain.genesis.validators })
  const id = genesisId(genesis)
  const value = (name: string, height: number) => encodeRlp([encodeGenesis(genesis), encodeString(name), fromHex('ab'.repeat(20)), encodeUint(height)])
  const tree = StateTree.fromEntries([[registryEntryKey(id), value('shop', 7)]])
  const honest: RegistryEntryProofView = {
    entry: { id: toHex(id), name: 'shop', creator: 'ab'.repeat(20), height: 7, genesis: genesisToJson(genesis) },
    height: 9,
    stateRoot: toHex(tree.root()),
    proof: toHex(encodeStateProof(tree.prove(registryEntryKey(id)))),
  }
  assert.is(verifyRegistryProof(honest, 'shop').name, 'shop')
  const other = StateTree.fromEntries([[registryEntryKey(id), value('shop', 8)]])
  const cases: Array<[string, RegistryEntryProofView, string]> = [
    ['another name returned', { ...honest, entry: { ...honest.entry, name: 'shops' } }, 'shop'],
    ['asked for another name', honest, 'mall'],
    ['another height returned', { ...honest, entry: { ...honest.entry, height: 8 } }, 'shop'],
    ['a proof of another entry', { ...honest, proof: toHex(encodeStateProof(other.prove(registryEntryKey(id)))) }, 'shop'],
    ['another state root', { ...honest, stateRoot: toHex(other.root()) }, 'shop'],
    ['no proof', { ...honest, proof: undefined } as RegistryEntryProofView, 'shop'],
  ]
  for (const [what, view, asked] of cases) {
    try {
      verifyRegistryProof(view, asked)
      assert.unreachable(`${what}: accepted`)
    } catch (err) {
      assert.instance(err, CliError, what)
      assert.is((err as CliError).code, 'PROOF_INVALID', what)
    }
  }
})

test.run()
