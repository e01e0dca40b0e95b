// `npm start` until the peer node exists: one server machine with a 4-validator entity, run in
// this process. Every 100 ms it admits a few signed transactions, builds a block, has the four
// validator signers precommit it, aggregates their BLS signatures into a quorum certificate,
// commits the block and seals the frame into a LevelDB in a temp dir, printing each frame.
// On Ctrl-C (or after --blocks N) it closes the database, reopens it and checks that the
// server comes back with the same state hash.
//
//   npm start                      # runs until Ctrl-C
//   npm start -- --blocks 20       # stops by itself

import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  AccountSigner,
  LevelStore,
  Server,
  ValidatorSigner,
  TxKind,
  VoteStep,
  aggregateBlsSignatures,
  bitmapFromIndices,
  encodeBlock,
  encodeCommit,
  encodeCounterAdd,
  encodeKvSet,
  encodeServerInput,
  encodeString,
  encodeTx,
  encodeUint,
  genesisId,
  makeGenesis,
  proposerIndex,
  toHex,
  utf8,
} from '@p2pnode/core'

const { values } = parseArgs({ options: { blocks: { type: 'string' }, interval: { type: 'string', default: '100' } } })
const maxBlocks = values.blocks === undefined ? Infinity : Number(values.blocks)
const interval = Number(values.interval)

const dir = mkdtempSync(join(tmpdir(), 'p2pnode-demo-'))
const validatorSeeds = Array.from({ length: 4 }, () => randomBytes(32))
const validators = validatorSeeds.map((seed) => new ValidatorSigner(seed))
const accounts = validatorSeeds.map(() => new AccountSigner(randomBytes(32)))
const genesis = makeGenesis({
  network: 'demo',
  time: Date.now(),
  validators: validators.map((v, i) => ({
    publicKey: v.publicKey,
    account: accounts[i]!.address,
    shares: i === 0 ? 2 : 1,
    proofOfPossession: v.provePossession(),
  })),
})
const serverId = randomBytes(32)

const short = (b: Uint8Array) => toHex(b).slice(0, 12)
console.log(`p2pnode demo: one server machine, a 4-validator entity, frames in ${dir}`)
console.log('(the networked node comes with the next issues; this shows the machines and storage they run on)\n')

let store = await LevelStore.open(dir)
let server = await Server.open({ id: serverId, store, entities: [genesis], sync: true })
const entity = server.entity(genesisId(genesis))!
const nonces = accounts.map(() => 0)
let stopping = false
process.on('SIGINT', () => (stopping = true))
process.on('SIGTERM', () => (stopping = true))

while (!stopping && entity.tip.height < maxBlocks) {
  const started = Date.now()
  // a few transactions from random accounts: counter additions and key/value writes
  for (let i = 0; i < 1 + Math.floor(Math.random() * 5); i++) {
    const who = Math.floor(Math.random() * accounts.length)
    const payload = i % 2 === 0 ? encodeCounterAdd(1 + Math.floor(Math.random() * 9)) : encodeKvSet(`key${i}`, utf8(`value at ${started}`))
    const tx = accounts[who]!.signTransaction({ network: genesis.network, entity: entity.id, nonce: nonces[who]!++, kind: i % 2 === 0 ? TxKind.CounterAdd : TxKind.KvSet, payload })
    server.receive(encodeServerInput([[entity.id, [encodeString('tx'), encodeTx(tx)]]]))
  }
  server.receive(encodeServerInput([], [[encodeString('counter.add'), encodeUint(1)]]))
  // round 0's proposer: block validation checks the header's proposer against the schedule
  const built = entity.propose(Date.now(), proposerIndex(genesis.validators, entity.tip.height + 1, 0))
  const height = built.block.header.height
  const precommits = validators.map((v, i) =>
    v.signVote(genesis.network, entity.id, i, { height, round: 0, step: VoteStep.Precommit, blockHash: built.hash }),
  )
  const commit = { height, round: 0, blockHash: built.hash, signers: bitmapFromIndices([0, 1, 2, 3], 4), signature: aggregateBlsSignatures(precommits.map((p) => p.signature)) }
  const out = server.receive(encodeServerInput([[entity.id, [encodeString('block'), encodeBlock(built.block), encodeCommit(commit)]]]))
  const frame = await server.seal(Date.now())
  const committed = out.find((o) => o.type === 'block.committed')
  console.log(
    `frame ${String(frame!.height).padStart(4)}  inputs ${String(frame!.inputs.length).padStart(2)}  ` +
      `block ${String(height).padStart(4)} ${committed ? short(built.hash) : 'REJECTED'}  txs ${built.txHashes.length}  ` +
      `counter ${entity.tip.state.counter()}  state ${short(entity.tip.state.root())}  frame state ${short(frame!.stateHash)}`,
  )
  await new Promise((r) => setTimeout(r, Math.max(0, interval - (Date.now() - started))))
}

const before = toHex(server.stateHash())
await store.close()
store = await LevelStore.open(dir)
server = await Server.open({ id: serverId, store, entities: [genesis] })
const after = toHex(server.stateHash())
console.log(`\nreopened ${dir}: frame ${server.frameHeight}, state hash ${after.slice(0, 16)} ${after === before ? 'matches' : 'DOES NOT MATCH'} the one before closing`)
await store.close()
rmSync(dir, { recursive: true, force: true })
process.exit(after === before ? 0 : 1)
