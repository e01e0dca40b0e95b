// A consensus loop over a real server machine (in-memory store) for one test chain, with what
// it publishes captured: enough to feed it gossip and read its verdicts, with no network. It
// follows (no signer) unless told which validator it is; timeouts are long, so nothing moves
// unless a test makes it.

import { MemoryStore, Server, ValidatorSigner, encodeProposal, encodeVote, proposalSigningMessage, encodeBlock, blockHash, txsHash, signBls, SignatureKind, voteSigningMessage, encodeCommit, type Bytes, type Vote, VoteStep, type Block, type ConsensusBlock, proposerIndex } from '../../../packages/core/src/index.ts'
import { ConsensusLoop } from '../../../packages/node/src/consensus/loop.ts'
import { encodeCommitMessage, encodeEnvelope } from '../../../packages/node/src/consensus/messages.ts'
import { silentLogger } from '../../../packages/node/src/logger.ts'
import { type TestChain, makeChain, seed } from '../../fixtures/chain.ts'

const SLOW = { propose: { baseMs: 60_000, deltaMs: 0 }, prevote: { baseMs: 60_000, deltaMs: 0 }, precommit: { baseMs: 60_000, deltaMs: 0 } }

export interface Harness {
  chain: TestChain
  loop: ConsensusLoop
  server: Server
  published: { proposals: Bytes[]; votes: Bytes[]; commits: Bytes[] }
  useless: Array<{ peer: string; what: string }>
  stop(): void
}

export interface HarnessOptions {
  /** Which of the chain's validators this node is; a follower without. */
  validator?: number
  shares?: number[]
  /** The heartbeat (pacer.ts); default 0: heights follow each other at once. */
  emptyBlockIntervalMs?: number
  /** Runs before the loop starts (e.g. to fill the server's open frame). */
  beforeStart?: (server: Server) => void
}

export async function startLoop(options: HarnessOptions = {}): Promise<Harness> {
  const chain = makeChain(options.shares ?? [1, 1, 1, 1])
  const store = new MemoryStore()
  const validatorSeeds = options.validator === undefined ? [] : [seed(`v-bls-${options.validator}`)]
  const server = await Server.open({ id: seed('harness server'), store, entities: [chain.genesis], validatorSeeds })
  const entity = server.entity(chain.entity)!
  const published = { proposals: [] as Bytes[], votes: [] as Bytes[], commits: [] as Bytes[] }
  const useless: Harness['useless'] = []
  const signer = options.validator === undefined ? undefined : server.validator(new ValidatorSigner(validatorSeeds[0]!).id)!
  const loop = new ConsensusLoop({
    server,
    store,
    entity,
    ...(signer ? { signer } : {}),
    host: {
      publishProposal: (b) => published.proposals.push(b),
      publishVote: (b) => published.votes.push(b),
      publishCommit: (b) => published.commits.push(b),
    },
    blockIntervalMs: 0,
    emptyBlockIntervalMs: options.emptyBlockIntervalMs ?? 0,
    timeouts: SLOW,
    now: Date.now,
    logger: silentLogger(),
    onUseless: (peer, what) => useless.push({ peer, what }),
  })
  options.beforeStart?.(server)
  await loop.start()
  return { chain, loop, server, published, useless, stop: () => loop.stop() }
}

/** A vote signed by validator `index` of the chain, in a gossip envelope with `sequence`. */
export function voteMessage(chain: TestChain, index: number, target: { height: number; round: number; step: VoteStep; blockHash: Bytes | null }, sequence = 0): Bytes {
  const vote = signedVote(chain, index, target)
  return encodeEnvelope(encodeVote(vote), sequence)
}

export function signedVote(chain: TestChain, index: number, target: { height: number; round: number; step: VoteStep; blockHash: Bytes | null }): Vote {
  const signature = signBls(chain.validators[index]!.blsSecret, { network: chain.network, entity: chain.entity, kind: SignatureKind.Vote }, voteSigningMessage(target))
  return { network: chain.network, entity: chain.entity, ...target, validator: index, signature }
}

/** An empty block on the chain's genesis (height 1), valid in every field but, unless executed, its state root. */
export function blockAt(chain: TestChain, height: number, parentHash: Bytes, stateRoot: Bytes, validatorsHash: Bytes, proposer: number, time = chain.genesis.time + height): ConsensusBlock {
  const block: Block = {
    header: { network: chain.network, entity: chain.entity, height, time, parentHash, proposer, txsHash: txsHash([]), stateRoot, validatorsHash },
    txs: [],
  }
  return { hash: blockHash(block.header), bytes: encodeBlock(block) }
}

/** A proposal of `block` for (height, round), signed by `index`, in an envelope. */
export function proposalMessage(chain: TestChain, index: number, height: number, round: number, block: ConsensusBlock, sequence = 0): Bytes {
  const signature = signBls(chain.validators[index]!.blsSecret, { network: chain.network, entity: chain.entity, kind: SignatureKind.Proposal }, proposalSigningMessage({ height, round, validRound: -1, blockHash: block.hash }))
  return encodeEnvelope(encodeProposal({ height, round, validRound: -1, proposer: index, block, signature }), sequence)
}

/** A commit message for `block` at `height`, signed by `signers`. */
export function commitMessage(chain: TestChain, height: number, block: ConsensusBlock, signers = [0, 1, 2, 3], round = 0): Bytes {
  return encodeCommitMessage(block.bytes, encodeCommit(chain.commit(height, block.hash, signers, round)))
}

export function proposerOf(chain: TestChain, height: number, round: number): number {
  return proposerIndex(
    chain.validators.map((v) => ({ publicKey: v.bls.publicKey, account: v.account.address, shares: v.shares })),
    height,
    round,
  )
}
