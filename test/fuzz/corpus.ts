// The valid objects every decoder's seeds are made from, built once with the project's own
// encoders and real keys: a chain of four validators (BLS, Ed25519), a block with signed
// transactions of every kind, a real quorum certificate, real votes and a signed proposal, and a
// server root written by a real server. Mutations start from these, so they reach the checks
// deep inside a decoder that random bytes almost never get past.

import type { Bytes } from '../../packages/core/src/bytes.ts'
import { bitmapFromIndices } from '../../packages/core/src/codec/bitmap.ts'
import { encodeBlock, encodeCommit, encodeHeader, encodeVote } from '../../packages/core/src/codec/objects.ts'
import { encodeString, encodeUint } from '../../packages/core/src/codec/rlp.ts'
import { encodeProposal, proposalSigningMessage } from '../../packages/core/src/consensus/proposal.ts'
import { signBls } from '../../packages/core/src/crypto/bls.ts'
import { SignatureKind } from '../../packages/core/src/crypto/domain.ts'
import { encodeCounterAdd, encodeKvDel, encodeKvSet, encodeProposalCreate, encodeProposalVote, type ProposalAction } from '../../packages/core/src/machines/payloads.ts'
import { genesisState } from '../../packages/core/src/machines/genesis.ts'
import { Server } from '../../packages/core/src/machines/server.ts'
import { encodeServerInput } from '../../packages/core/src/machines/server-input.ts'
import { serverRootKey } from '../../packages/core/src/storage/schema.ts'
import { MemoryStore } from '../../packages/core/src/storage/memory.ts'
import { StateTree } from '../../packages/core/src/state/tree.ts'
import { encodeStateProof } from '../../packages/core/src/state/proof.ts'
import { TxKind, type Vote, VoteStep } from '../../packages/core/src/types/chain.ts'
import { makeChain, seed, type TestChain } from '../fixtures/chain.ts'
import { Runner } from '../fixtures/run.ts'

export interface Corpus {
  chain: TestChain
  txs: Bytes[]
  block: Bytes
  blockHash: Bytes
  header: Bytes
  commit: Bytes
  votes: Vote[]
  proposal: Bytes
  actions: ProposalAction[]
  payloads: { counterAdd: Bytes; kvSet: Bytes; kvDel: Bytes; proposalCreate: Bytes[]; proposalVote: Bytes }
  stateProofs: Bytes[]
  /** Every state entry the genesis and the block wrote: key and value as the state tree holds them. */
  stateWrites: Array<[key: Bytes, value: Bytes]>
  serverInputs: Bytes[]
  serverRoot: Bytes
  /** Seeds of the signers a fuzzed server hosts (so inputs routed to them reach their code). */
  serverSeeds: { validator: Bytes; account: Bytes; id: Bytes }
}

let built: Promise<Corpus> | undefined

/** The corpus, built on first use (a few hundred milliseconds of BLS signing). */
export function corpus(): Promise<Corpus> {
  built ??= build()
  return built
}

async function build(): Promise<Corpus> {
  const chain = makeChain([1, 2, 3, 4], 'fuzznet', 'fuzz')
  const [a, b] = chain.validators
  const actions: ProposalAction[] = [
    { type: 'entity.set', key: 'motd', value: new Uint8Array([1, 2, 3]) },
    { type: 'entity.del', key: 'motd' },
    { type: 'threshold.set', threshold: { numerator: 3, denominator: 4 } },
    { type: 'params.set', name: 'maxBlockTxs', value: 500 },
    { type: 'validators.set', validators: chain.genesis.validators.slice(0, 2) },
  ]
  const payloads = {
    counterAdd: encodeCounterAdd(7),
    kvSet: encodeKvSet('greeting', new Uint8Array([104, 105])),
    kvDel: encodeKvDel('greeting'),
    proposalCreate: actions.map((action, i) => encodeProposalCreate(action, i * 10)),
    proposalVote: encodeProposalVote(new Uint8Array(32).fill(9)),
  }
  const txs = [
    chain.tx(a!.account, 0, TxKind.CounterAdd, payloads.counterAdd),
    chain.tx(a!.account, 1, TxKind.KvSet, payloads.kvSet),
    chain.tx(a!.account, 2, TxKind.KvDel, payloads.kvDel),
    chain.tx(b!.account, 0, TxKind.ProposalCreate, payloads.proposalCreate[0]!),
  ]
  const runner = new Runner(chain)
  const built = runner.block(txs)
  const block = encodeBlock(built.block)
  const blockHash = built.hash
  const stateWrites = [...genesisState(chain.genesis).writes, ...built.writes].flatMap(([key, value]): Array<[Bytes, Bytes]> => (value === null ? [] : [[key, value]]))
  const commit = encodeCommit(chain.commit(1, blockHash, [1, 2, 3]))
  const network = chain.network
  const entity = chain.entity
  const votes = [
    a!.bls.signVote(network, entity, 0, { height: 1, round: 0, step: VoteStep.Prevote, blockHash }),
    a!.bls.signVote(network, entity, 0, { height: 1, round: 1, step: VoteStep.Precommit, blockHash: null }),
  ]
  const proposalTarget = { height: 1, round: 2, validRound: 1, blockHash }
  const proposal = encodeProposal({
    height: 1,
    round: 2,
    validRound: 1,
    proposer: 0,
    block: { hash: blockHash, bytes: block },
    signature: signBls(a!.blsSecret, { network, entity, kind: SignatureKind.Proposal }, proposalSigningMessage(proposalTarget)),
  })

  const tree = StateTree.empty().set(new Uint8Array([1]), new Uint8Array([2])).set(new Uint8Array([3]), new Uint8Array([4]))
  const stateProofs = [encodeStateProof(tree.prove(new Uint8Array([1]))), encodeStateProof(tree.prove(new Uint8Array([9])))]

  const serverSeeds = { validator: seed('fuzz-bls-0'), account: seed('fuzz-acct-0'), id: seed('fuzz-server') }
  const validatorId = a!.bls.id
  const accountId = a!.account.id
  const serverInputs = [
    encodeServerInput([[entity, [encodeString('tx'), txs[0]!]]]),
    encodeServerInput([[entity, [encodeString('block'), block, commit]]]),
    encodeServerInput([[validatorId, [encodeString('vote.record'), encodeVote(votes[0]!), block]]]),
    encodeServerInput([[validatorId, [encodeString('vote'), encodeString(network), entity, encodeUint(0), encodeUint(2), encodeUint(0), encodeUint(1), blockHash]]]),
    encodeServerInput([[accountId, [encodeString('tx'), encodeString(network), entity, encodeUint(5), encodeString('counter.add'), payloads.counterAdd]]]),
    encodeServerInput([], [[encodeString('counter.add'), encodeUint(3)]]),
  ]
  const serverRoot = await realServerRoot(chain, serverSeeds, serverInputs)
  return { chain, txs, block, blockHash, header: encodeHeader(built.block.header), commit, votes, proposal, actions, payloads, stateProofs, stateWrites, serverInputs, serverRoot, serverSeeds }
}

/** The root a real server writes after taking every seed input and sealing one frame. */
async function realServerRoot(chain: TestChain, seeds: Corpus['serverSeeds'], inputs: Bytes[]): Promise<Bytes> {
  const store = new MemoryStore()
  const server = await Server.open({ id: seeds.id, store, entities: [chain.genesis], validatorSeeds: [seeds.validator], accountSeeds: [seeds.account], sync: false })
  for (const input of inputs) server.receive(input)
  await server.flush(chain.genesis.time + 1000)
  const root = await store.get(serverRootKey(seeds.id))
  if (root === undefined) throw new Error('fuzz corpus: the server wrote no root')
  return root
}

/** A signer bitmap with its validator count in front: [count u16 big-endian, ...bitmap]. */
export function sizedBitmap(indices: number[], size: number): Bytes {
  const bitmap = bitmapFromIndices(indices, size)
  const out = new Uint8Array(2 + bitmap.length)
  out[0] = size >> 8
  out[1] = size & 0xff
  out.set(bitmap, 2)
  return out
}
