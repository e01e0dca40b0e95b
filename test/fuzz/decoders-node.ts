// The decoders of packages/node that take bytes from a peer or from disk: consensus gossip,
// sync, the request/response frame reader, and the files of a home (config, genesis, bans,
// node key, backups). What counts as a coded error differs by layer, and is noted per decoder.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import type { Stream } from '@libp2p/interface'
import { generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { type Bytes, utf8 } from '../../packages/core/src/bytes.ts'
import { decodeBlock, decodeCommit, decodeVote, encodeBlock, encodeCommit, encodeVote } from '../../packages/core/src/codec/objects.ts'
import { encodeRlp, encodeUint } from '../../packages/core/src/codec/rlp.ts'
import { MAX_PROPOSAL_BYTES, decodeProposal, encodeProposal } from '../../packages/core/src/consensus/proposal.ts'
import { sha256 } from '../../packages/core/src/hash.ts'
import { MAX_VOTE_BYTES } from '../../packages/core/src/limits.ts'
import { EntityMachine } from '../../packages/core/src/machines/entity.ts'
import { Server } from '../../packages/core/src/machines/server.ts'
import { MemoryStore } from '../../packages/core/src/storage/memory.ts'
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../../packages/node/src/config.ts'
import { decodeCommitMessage, encodeCommitMessage, encodeEnvelope, decodeEnvelope } from '../../packages/node/src/consensus/messages.ts'
import { TxBatches } from '../../packages/node/src/gossip/tx-batches.ts'
import { BACKUP_MAGIC, BACKUP_VERSION, BackupError, readBackupHeader } from '../../packages/node/src/home/backup.ts'
import { type GenesisJson, genesisFromJson, genesisToJson } from '../../packages/node/src/home/genesis-json.ts'
import { HomeError } from '../../packages/node/src/home/home.ts'
import { decodeBans } from '../../packages/node/src/network/ban-file.ts'
import { NetworkError, isNetworkError } from '../../packages/node/src/network/errors.ts'
import { decodeNodeKey } from '../../packages/node/src/network/keys.ts'
import { FrameReader, STATUS_ERROR, STATUS_OK, encodeRequest, encodeResponse } from '../../packages/node/src/network/frames.ts'
import { decodeBlocks, decodeStatus, decodeSyncRequest, encodeBlocks, encodeStatus, encodeSyncRequest } from '../../packages/node/src/sync/protocol.ts'
import type { Corpus } from './corpus.ts'
import { coreCode, decoder } from './decoders-core.ts'
import type { Decoder } from './decoder.ts'
import * as valid from './valid.ts'

function networkCode(err: unknown): string | undefined {
  return err instanceof NetworkError ? err.code : undefined
}

/** What loadHome does with a file that is not JSON: HOME_BAD_FILE. */
function readJsonText(bytes: Bytes): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (err) {
    throw new HomeError('HOME_BAD_FILE', `not valid JSON: ${(err as Error).message}`)
  }
}

/** The stream's bytes cut into chunks of varied sizes (empty ones too), as a network delivers them. */
function chunked(bytes: Bytes): Bytes[] {
  const chunks: Bytes[] = []
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = [1, 3, 0, 7, 64, 2, 1024][i % 7]!
    chunks.push(bytes.subarray(offset, offset + size))
    offset += size
  }
  return chunks
}

/** A stream source of plain Uint8Array chunks: FrameReader needs only subarray and byteLength of a chunk. */
function streamOf(bytes: Bytes): Pick<Stream, 'source'> {
  const source = (async function* () {
    yield* chunked(bytes)
  })()
  return { source } as unknown as Pick<Stream, 'source'>
}

const MAX_FRAME_BODY = 64 * 1024

export async function nodeDecoders(c: Corpus): Promise<Decoder[]> {
  const { chain } = c
  const envelopedVotes = c.votes.map((v, i) => encodeEnvelope(encodeVote(v), i))
  const syncRequests = [encodeSyncRequest({ type: 'status' }), encodeSyncRequest({ type: 'blocks', from: 1, count: 50 })]
  const status = encodeStatus({ height: 7, headHash: c.blockHash, servesFrom: 1 })
  const prunedStatus = encodeStatus({ height: 700, headHash: c.blockHash, servesFrom: 601 })
  const blocks = encodeBlocks([{ block: c.block, commit: c.commit }, { block: c.block, commit: c.commit }])
  const genesisJson = utf8(JSON.stringify(genesisToJson(chain.genesis, ['a', 'b'])))
  const nodeKey = privateKeyToProtobuf(await generateKeyPairFromSeed('Ed25519', sha256(utf8('fuzz node key'))))
  const backupDir = mkdtempSync(join(tmpdir(), 'p2pnode-fuzz-'))
  const backupFile = join(backupDir, 'backup')
  process.once('exit', () => rmSync(backupDir, { recursive: true, force: true }))

  let batches: TxBatches | undefined
  const freshBatches = async () => {
    const server = await Server.open({ id: c.serverSeeds.id, store: new MemoryStore(), entities: [chain.genesis], sync: false })
    const entity = server.entity(server.entityIds()[0]!) as EntityMachine
    batches = new TxBatches({ server, entity, publish: () => {}, batchMs: 5 })
  }

  return [
    decoder({
      name: 'envelope.vote',
      source: 'vote gossip: envelope, then the vote (as the consensus loop decodes it)',
      format: 'rlp',
      decode: (b) => decodeVote(decodeEnvelope(b, MAX_VOTE_BYTES)),
      codeOf: coreCode,
      seeds: envelopedVotes,
      valid: fc.record({ vote: valid.vote, sequence: valid.uint }).map(({ vote, sequence }) => ({ bytes: encodeEnvelope(encodeVote(vote), sequence), value: vote })),
    }),
    decoder({
      name: 'envelope.proposal',
      source: 'proposal gossip: envelope, then the proposal',
      format: 'rlp',
      decode: (b) => decodeProposal(decodeEnvelope(b, MAX_PROPOSAL_BYTES), sha256),
      codeOf: coreCode,
      seeds: [encodeEnvelope(c.proposal, 0), encodeEnvelope(c.proposal, 77)],
      valid: fc.record({ p: valid.proposalFields, sequence: valid.uint }).map(({ p, sequence }) => {
        const value = { ...p, block: { hash: sha256(p.block), bytes: p.block } }
        return { bytes: encodeEnvelope(encodeProposal(value), sequence), value }
      }),
    }),
    decoder({
      name: 'commitMessage',
      source: 'commit gossip: [block, commit], then both (as the consensus loop decodes it)',
      format: 'rlp',
      decode: (b) => {
        const m = decodeCommitMessage(b)
        return { block: decodeBlock(m.block), commit: decodeCommit(m.commit) }
      },
      codeOf: coreCode,
      reencode: (v) => encodeCommitMessage(encodeBlock(v.block), encodeCommit(v.commit)),
      seeds: [encodeCommitMessage(c.block, c.commit)],
      valid: fc.record({ block: valid.block, commit: valid.commit }).map((value) => ({ bytes: encodeCommitMessage(encodeBlock(value.block), encodeCommit(value.commit)), value })),
    }),
    decoder({
      name: 'sync.request',
      source: 'sync requests from peers (served by serveSync)',
      format: 'rlp',
      decode: decodeSyncRequest,
      codeOf: coreCode,
      reencode: encodeSyncRequest,
      seeds: syncRequests,
      valid: fc
        .oneof(fc.constant({ type: 'status' as const }), fc.record({ type: fc.constant('blocks' as const), from: valid.uint, count: valid.uint }))
        .map((value) => ({ bytes: encodeSyncRequest(value), value })),
    }),
    decoder({
      name: 'sync.status',
      source: 'sync status responses from peers',
      format: 'rlp',
      decode: decodeStatus,
      codeOf: coreCode,
      reencode: encodeStatus,
      seeds: [status, prunedStatus],
      // a status kept whole (servesFrom 1, two fields) or pruned (2 <= servesFrom <= height)
      valid: fc
        .record({ height: valid.uint, headHash: valid.hash, cut: fc.option(valid.uint, { nil: undefined }) })
        .map(({ height, headHash, cut }) => ({ height, headHash, servesFrom: cut === undefined || height < 2 ? 1 : 2 + (cut % (height - 1)) }))
        .map((value) => ({ bytes: encodeStatus(value), value })),
    }),
    decoder({
      name: 'sync.blocks',
      source: 'sync blocks responses from peers',
      format: 'rlp',
      decode: decodeBlocks,
      codeOf: coreCode,
      reencode: encodeBlocks,
      seeds: [blocks, encodeBlocks([])],
      valid: fc
        .array(fc.record({ block: fc.uint8Array({ maxLength: 300 }), commit: fc.uint8Array({ maxLength: 200 }) }), { maxLength: 50 })
        .map((value) => ({ bytes: encodeBlocks(value), value })),
    }),
    decoder({
      name: 'gossip.txBatch',
      source: 'transaction batch gossip (TxBatches.receive: decode, then each tx through the server)',
      format: 'rlp',
      decode: (b) => batches!.receive(b),
      codeOf: coreCode,
      seeds: [encodeRlp(c.txs), encodeRlp([c.txs[0]!])],
      fresh: freshBatches,
    }),
    decoder({
      name: 'frames.request',
      source: 'request frames on a libp2p stream (FrameReader.readRequest, 64 KiB limit)',
      format: 'raw',
      decode: (b) => new FrameReader(streamOf(b)).readRequest(MAX_FRAME_BODY),
      codeOf: networkCode,
      seeds: [...syncRequests.map(encodeRequest), encodeRequest(new Uint8Array(0)), encodeRequest(new Uint8Array(MAX_FRAME_BODY))],
      valid: fc.uint8Array({ maxLength: 2000 }).map((body) => ({ bytes: encodeRequest(body), value: body })),
    }),
    decoder({
      name: 'frames.response',
      source: 'response frames on a libp2p stream (FrameReader.readResponse, 64 KiB limit)',
      format: 'raw',
      decode: (b) => new FrameReader(streamOf(b)).readResponse(MAX_FRAME_BODY),
      codeOf: networkCode,
      seeds: [encodeResponse(STATUS_OK, status), encodeResponse(STATUS_OK, blocks.subarray(0, 2000)), encodeResponse(STATUS_ERROR, utf8('NETWORK_REQUEST_TOO_LARGE'))],
      valid: fc.uint8Array({ maxLength: 2000 }).map((body) => ({ bytes: encodeResponse(STATUS_OK, body), value: body })),
    }),

    // ---- files of a home
    decoder({
      name: 'genesisJson',
      source: '<home>/genesis.json as loadHome reads it (JSON, then genesisFromJson)',
      format: 'json',
      decode: (b) => genesisFromJson(readJsonText(b) as GenesisJson),
      // genesisFromJson throws plain Errors naming the field, and core's GENESIS_INVALID; loadHome
      // turns both into HOME_BAD_FILE. Any other class (a TypeError) is a failure here, although
      // loadHome would wrap it too: it means a shape the code does not check.
      codeOf: (err) => (err instanceof HomeError ? err.code : err instanceof Error && err.constructor === Error ? 'HOME_BAD_FILE(genesis field)' : coreCode(err)),
      seeds: [genesisJson, utf8(JSON.stringify({ ...genesisToJson(chain.genesis), time: chain.genesis.time, threshold: undefined, params: undefined }))],
      valid: fc
        .record({ network: valid.networkName, time: fc.integer({ min: 0, max: 8.64e15 }), validators: fc.subarray(chain.genesis.validators, { minLength: 1 }), threshold: valid.threshold, params: valid.params })
        .map((value) => ({ bytes: utf8(JSON.stringify(genesisToJson(value))), value })),
    }),
    decoder({
      name: 'config',
      source: '<home>/config.json as loadHome reads it (JSON, then resolveConfig)',
      format: 'json',
      decode: (b) => resolveConfig(readJsonText(b)),
      codeOf: (err) => (err instanceof HomeError ? err.code : err instanceof ConfigError ? `CONFIG(${err.field})` : undefined),
      seeds: [utf8(JSON.stringify(DEFAULT_CONFIG)), utf8(JSON.stringify({ network: 'fuzznet' })), utf8(JSON.stringify({ network: 'fuzznet', p2p: { listen: ['/ip4/0.0.0.0/tcp/0'], bootstrap: [] }, api: { port: 0 }, consensus: { propose: { baseMs: 10, deltaMs: 1 } } }))],
    }),
    decoder({
      name: 'bans',
      source: '<dataDir>/bans.json (decodeBans; BanFile.load sets any failure aside)',
      format: 'json',
      decode: (b) => decodeBans(Buffer.from(b).toString('utf8')),
      // decodeBans has no error class: its own refusals are TypeErrors starting "ban file", and
      // JSON.parse's are SyntaxErrors. Only those two count as coded.
      codeOf: (err) => (err instanceof SyntaxError ? 'BANS_NOT_JSON' : err instanceof TypeError && err.message.startsWith('ban file') ? 'BANS_BAD_ENTRY' : undefined),
      seeds: [utf8(JSON.stringify([{ peerId: '12D3KooWexample', until: 1_700_000_000_000, reason: 'score' }, { peerId: 'x', until: 0, reason: '' }])), utf8('[]')],
      valid: fc
        .array(fc.record({ peerId: fc.string({ minLength: 1, maxLength: 60 }), until: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)), reason: fc.string({ maxLength: 30 }) }), { maxLength: 5 })
        .map((value) => ({ bytes: utf8(JSON.stringify(value)), value })),
    }),
    decoder({
      name: 'nodeKey',
      source: '<home>/p2p/node-key (libp2p private key protobuf, read by decodeNodeKey)',
      format: 'raw',
      decode: (b) => decodeNodeKey(b).type,
      // whatever libp2p's reader throws comes out as NETWORK_BAD_NODE_KEY naming the file
      codeOf: (err) => (isNetworkError(err) ? err.code : undefined),
      seeds: [nodeKey],
    }),
    decoder({
      name: 'backupHeader',
      source: 'a chain backup file header (readBackupHeader; magic, u32 length, RLP header)',
      format: 'raw',
      decode: (b) => {
        writeFileSync(backupFile, b)
        return readBackupHeader(backupFile)
      },
      codeOf: (err) => (err instanceof BackupError ? err.code : undefined),
      seeds: [backupHeader(c), backupHeader(c).subarray(0, 30)],
    }),
  ]
}

function backupHeader(c: Corpus): Bytes {
  const body = encodeRlp([encodeUint(BACKUP_VERSION), utf8(c.chain.network), c.chain.entity, encodeUint(1), c.blockHash, sha256(c.block)])
  const out = new Uint8Array(BACKUP_MAGIC.length + 4 + body.length)
  out.set(utf8(BACKUP_MAGIC))
  new DataView(out.buffer).setUint32(BACKUP_MAGIC.length, body.length)
  out.set(body, BACKUP_MAGIC.length + 4)
  return out
}
