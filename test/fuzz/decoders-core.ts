// The codec decoders of packages/core (objects, payloads, proposal actions) and the server's
// input. Each may throw only CoreError (any code); the payload wrappers re-code inner errors as
// TX_BAD_PAYLOAD. What a node reads back from its database is in decoders-disk.ts.

import fc from 'fast-check'
import { type Bytes, concat } from '../../packages/core/src/bytes.ts'
import { bitmapFromIndices, indicesFromBitmap } from '../../packages/core/src/codec/bitmap.ts'
import {
  decodeBlock, decodeCommit, decodeFrame, decodeHeader, decodeTx, decodeVote,
  encodeBlock, encodeCommit, encodeFrame, encodeHeader, encodeTx, encodeVote,
} from '../../packages/core/src/codec/objects.ts'
import { type RlpItem, decodeRlp, encodeRlp, encodeUint } from '../../packages/core/src/codec/rlp.ts'
import { decodeProposal, encodeProposal } from '../../packages/core/src/consensus/proposal.ts'
import { CoreError } from '../../packages/core/src/errors.ts'
import { sha256 } from '../../packages/core/src/hash.ts'
import { MAX_FRAME_BYTES } from '../../packages/core/src/limits.ts'
import { type Genesis, decodeGenesis, encodeGenesis } from '../../packages/core/src/machines/genesis.ts'
import {
  type ProposalAction, decodeAction, decodeCounterAdd, decodeKvDel, decodeKvSet, decodeProposalCreate, decodeProposalVote,
  encodeAction, encodeCounterAdd, encodeKvDel, encodeKvSet, encodeProposalVote,
} from '../../packages/core/src/machines/payloads.ts'
import { Server } from '../../packages/core/src/machines/server.ts'
import { decodeStateProof, encodeStateProof } from '../../packages/core/src/state/proof.ts'
import { MemoryStore } from '../../packages/core/src/storage/memory.ts'
import { type Corpus, sizedBitmap } from './corpus.ts'
import { type Decoder, sameBytes } from './decoder.ts'
import { rlpTree } from './generators.ts'
import * as valid from './valid.ts'

export function coreCode(err: unknown): string | undefined {
  return err instanceof CoreError ? err.code : undefined
}

/** A decoder with its value type checked against its encoder and round-trip values. */
export function decoder<T>(d: Omit<Decoder, 'decode' | 'reencode' | 'valid'> & {
  decode(input: Bytes): T | Promise<T>
  reencode?(value: T): Bytes
  valid?: fc.Arbitrary<{ bytes: Bytes; value: T }>
}): Decoder {
  return d as Decoder
}

/** Round-trip cases from an arbitrary of values and their encoder. */
function roundTrip<T>(values: fc.Arbitrary<T>, encode: (v: T) => Bytes): fc.Arbitrary<{ bytes: Bytes; value: T }> {
  return values.map((value) => ({ bytes: encode(value), value }))
}

class InputRejected extends Error {
  constructor(readonly code: string) {
    super(code)
  }
}

const MAX_RLP = 16 * 1024 * 1024

export function coreDecoders(c: Corpus): Decoder[] {
  const { chain } = c
  let server: Server | undefined
  const freshServer = async () => {
    server = await Server.open({
      id: c.serverSeeds.id,
      store: new MemoryStore(),
      entities: [chain.genesis],
      validatorSeeds: [c.serverSeeds.validator],
      accountSeeds: [c.serverSeeds.account],
      sync: false,
    })
  }

  return [
    decoder<RlpItem>({
      name: 'rlp',
      source: 'every RLP message and record (decodeRlp)',
      format: 'rlp',
      decode: (b) => decodeRlp(b, MAX_RLP),
      codeOf: coreCode,
      reencode: encodeRlp,
      seeds: [c.block, c.commit, c.proposal, c.serverRoot, ...c.txs],
      valid: roundTrip(rlpTree, encodeRlp),
    }),
    decoder({
      name: 'tx',
      source: 'gossip tx batches, API, blocks, persisted mempool',
      format: 'rlp',
      decode: decodeTx,
      codeOf: coreCode,
      reencode: encodeTx,
      seeds: c.txs,
      valid: roundTrip(valid.tx, encodeTx),
    }),
    decoder({
      name: 'header',
      source: 'block headers inside blocks',
      format: 'rlp',
      decode: decodeHeader,
      codeOf: coreCode,
      reencode: encodeHeader,
      seeds: [c.header],
      valid: roundTrip(valid.header, encodeHeader),
    }),
    decoder({
      name: 'block',
      source: 'proposals, commit messages, sync responses, backups, the chain store',
      format: 'rlp',
      decode: decodeBlock,
      codeOf: coreCode,
      reencode: encodeBlock,
      seeds: [c.block],
      valid: roundTrip(valid.block, encodeBlock),
    }),
    decoder({
      name: 'vote',
      source: 'vote gossip, server inputs, signer records',
      format: 'rlp',
      decode: decodeVote,
      codeOf: coreCode,
      reencode: encodeVote,
      seeds: c.votes.map(encodeVote),
      valid: roundTrip(valid.vote, encodeVote),
    }),
    decoder({
      name: 'commit',
      source: 'commit messages, sync responses, backups, the chain store',
      format: 'rlp',
      decode: decodeCommit,
      codeOf: coreCode,
      reencode: encodeCommit,
      seeds: [c.commit],
      valid: roundTrip(valid.commit, encodeCommit),
    }),
    decoder({
      name: 'proposal',
      source: 'proposal gossip (inside an envelope)',
      format: 'rlp',
      decode: (b) => decodeProposal(b, sha256),
      codeOf: coreCode,
      reencode: encodeProposal,
      seeds: [c.proposal],
      valid: valid.proposalFields.map((p) => {
        const value = { ...p, block: { hash: sha256(p.block), bytes: p.block } }
        return { bytes: encodeProposal(value), value }
      }),
    }),
    decoder({
      name: 'frame',
      source: 'the server frame log on disk (readFrames, replays)',
      format: 'rlp',
      decode: (b) => decodeFrame(b, MAX_FRAME_BYTES),
      codeOf: coreCode,
      reencode: encodeFrame,
      seeds: [encodeFrame({ height: 3, prevHash: sha256(c.block), time: chain.genesis.time, inputs: c.serverInputs, stateHash: sha256(c.commit) })],
      valid: roundTrip(valid.frame, encodeFrame),
    }),
    decoder<Genesis>({
      name: 'genesis',
      source: 'genesis RLP (entity id, backups)',
      format: 'rlp',
      decode: decodeGenesis,
      codeOf: coreCode,
      reencode: encodeGenesis,
      seeds: [encodeGenesis(chain.genesis)],
      valid: fc
        .record({
          network: valid.networkName,
          time: valid.uint,
          validators: fc.subarray(chain.genesis.validators, { minLength: 1 }),
          threshold: valid.threshold,
          params: valid.params,
        })
        .map((value) => ({ bytes: encodeGenesis(value), value })),
    }),
    decoder({
      name: 'stateProof',
      source: 'state proofs a node\'s API returns (p2pnode kv-proof decodes and verifies them)',
      format: 'rlp',
      decode: (b) => decodeStateProof(b),
      codeOf: coreCode,
      reencode: encodeStateProof,
      seeds: c.stateProofs,
      valid: roundTrip(valid.stateProof, encodeStateProof),
    }),
    decoder({
      name: 'bitmap',
      source: 'commit signer bitmaps; input here: [validator count u16, ...bitmap]',
      format: 'raw',
      decode: (b) => {
        const size = b.length >= 2 ? (b[0]! << 8) | b[1]! : 0
        return { prefix: b.subarray(0, 2), size, indices: indicesFromBitmap(b.subarray(2), size) }
      },
      codeOf: coreCode,
      reencode: (v) => concat(v.prefix, bitmapFromIndices(v.indices, v.size)),
      seeds: [sizedBitmap([1, 2, 3], 4), sizedBitmap([0, 9, 1023], 1024), sizedBitmap([], 0), sizedBitmap([4], 5)],
      valid: valid.signerIndices.map((v) => {
        const bytes = sizedBitmap(v.indices, v.size)
        return { bytes, value: { prefix: bytes.subarray(0, 2), ...v } }
      }),
    }),

    // ---- payloads and proposal actions (decoded when a transaction executes)
    decoder({
      name: 'payload.counterAdd',
      source: 'transaction payloads',
      format: 'rlp',
      decode: decodeCounterAdd,
      codeOf: coreCode,
      reencode: encodeCounterAdd,
      seeds: [c.payloads.counterAdd],
      valid: roundTrip(valid.uint, encodeCounterAdd),
    }),
    decoder({
      name: 'payload.kvSet',
      source: 'transaction payloads',
      format: 'rlp',
      decode: decodeKvSet,
      codeOf: coreCode,
      reencode: (v) => encodeKvSet(v.key, v.value),
      seeds: [c.payloads.kvSet],
      valid: roundTrip(fc.record({ key: valid.kvKey, value: fc.uint8Array({ maxLength: 300 }) }), (v) => encodeKvSet(v.key, v.value)),
    }),
    decoder({
      name: 'payload.kvDel',
      source: 'transaction payloads',
      format: 'rlp',
      decode: decodeKvDel,
      codeOf: coreCode,
      reencode: encodeKvDel,
      seeds: [c.payloads.kvDel],
      valid: roundTrip(valid.kvKey, encodeKvDel),
    }),
    decoder({
      name: 'payload.proposalCreate',
      source: 'transaction payloads',
      format: 'rlp',
      decode: decodeProposalCreate,
      codeOf: coreCode,
      // canonical at both levels: the outer list, and the action bytes inside it
      reencode: (v) => {
        const action = encodeAction(v.action)
        if (!sameBytes(action, v.actionBytes)) return action
        return encodeRlp([v.actionBytes, encodeUint(v.expiresIn)])
      },
      seeds: c.payloads.proposalCreate,
      valid: fc.record({ action: valid.action, expiresIn: valid.uint }).map(({ action, expiresIn }) => {
        const actionBytes = encodeAction(action)
        return { bytes: encodeRlp([actionBytes, encodeUint(expiresIn)]), value: { action, actionBytes, expiresIn } }
      }),
    }),
    decoder({
      name: 'payload.proposalVote',
      source: 'transaction payloads',
      format: 'rlp',
      decode: decodeProposalVote,
      codeOf: coreCode,
      reencode: encodeProposalVote,
      seeds: [c.payloads.proposalVote],
      valid: roundTrip(valid.hash, encodeProposalVote),
    }),
    decoder<ProposalAction>({
      name: 'action',
      source: 'proposal actions (in proposal.create, and again from state when a proposal passes)',
      format: 'rlp',
      decode: decodeAction,
      codeOf: coreCode,
      reencode: encodeAction,
      seeds: c.actions.map(encodeAction),
      valid: roundTrip(valid.action, encodeAction),
    }),

    decoder({
      name: 'server.input',
      source: 'server inputs: everything a node receives passes through Server.receive (gossip, sync, API, WAL replay)',
      format: 'rlp',
      decode: (b) => {
        const out = server!.receive(b)
        // a refused input is an output, not a throw; counted by its code all the same
        if (out.length === 1 && out[0]!.type === 'input.rejected') throw new InputRejected(out[0]!.code)
        return out
      },
      codeOf: (err) => (err instanceof InputRejected ? `input.rejected ${err.code}` : coreCode(err)),
      seeds: c.serverInputs,
      fresh: freshServer,
    }),
  ]
}
