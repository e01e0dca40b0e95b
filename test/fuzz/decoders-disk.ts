// The decoders of what a node reads back from its own database: entity state values (through
// the state readers), chain store records, a validator signer's record and the server root. A
// damaged or hostile disk must give STORAGE_CORRUPT or another CoreError, never a crash.

import fc from 'fast-check'
import { type Bytes, fromUtf8 } from '../../packages/core/src/bytes.ts'
import { encodeVote } from '../../packages/core/src/codec/objects.ts'
import { encodeRlp, encodeUint } from '../../packages/core/src/codec/rlp.ts'
import { sha256 } from '../../packages/core/src/hash.ts'
import { type EntityParams, type PendingValidators, StateReader, encodeEntityProposal, encodeParams as encodeParamsItem } from '../../packages/core/src/machines/entity-state.ts'
import { encodeAction, encodeThreshold, encodeValidators } from '../../packages/core/src/machines/payloads.ts'
import { Server } from '../../packages/core/src/machines/server.ts'
import { ValidatorSigner, decodeSignerRecord } from '../../packages/core/src/machines/signer.ts'
import { COUNTER_KEY, PARAMS_KEY, PENDING_KEY, THRESHOLD_KEY, VALIDATORS_KEY, expiryCountKey, expiryEntryKey, nonceKey, openProposalsKey, proposalKey } from '../../packages/core/src/machines/state-keys.ts'
import { ChainStore } from '../../packages/core/src/storage/chain-store.ts'
import type { KeyValueStore } from '../../packages/core/src/storage/interface.ts'
import { MemoryStore } from '../../packages/core/src/storage/memory.ts'
import { serverRootKey } from '../../packages/core/src/storage/schema.ts'
import { checkSchemaVersion } from '../../packages/core/src/storage/schema-version.ts'
import type { Threshold, Validator } from '../../packages/core/src/types/chain.ts'
import type { Corpus } from './corpus.ts'
import { type Decoder, sameBytes } from './decoder.ts'
import { coreCode, decoder } from './decoders-core.ts'
import * as valid from './valid.ts'

/** A state map holding one value: what a reader decodes when the tree (from disk) holds these bytes. */
class OneValue extends StateReader {
  constructor(
    private readonly key: Bytes,
    private readonly value: Bytes,
  ) {
    super()
  }

  get(key: Bytes): Bytes | undefined {
    return sameBytes(key, this.key) ? this.value : undefined
  }
}

/** A store that answers every read with the fuzzed bytes: what a corrupt database would hold. */
function storeHolding(value: Bytes): KeyValueStore {
  const store = new MemoryStore()
  store.get = async () => value
  return store
}

export function diskDecoders(c: Corpus): Decoder[] {
  const { chain } = c
  const stateSeed = (prefix: string) => c.stateWrites.filter(([key]) => fromUtf8(key).startsWith(prefix)).map(([, value]) => value)
  const proposalId = new Uint8Array(32).fill(7)
  const encodeParams = (p: EntityParams) => encodeRlp(encodeParamsItem(p))
  const encodePending = (p: PendingValidators) => encodeRlp([encodeUint(p.activateAt), encodeValidators(p.validators), encodeThreshold(p.threshold)])
  const validators: Validator[] = chain.genesis.validators.map(({ publicKey, account, shares }) => ({ publicKey, account, shares }))
  const signer = new ValidatorSigner(c.serverSeeds.validator)
  const roundTrip = <T>(values: fc.Arbitrary<T>, encode: (v: T) => Bytes) => values.map((value) => ({ bytes: encode(value), value }))

  return [
    // ---- values of the entity state, as the state tree (loaded from disk) holds them
    decoder({
      name: 'state.counter',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(COUNTER_KEY, b).counter(),
      codeOf: coreCode,
      reencode: (n) => encodeRlp(encodeUint(n)),
      seeds: stateSeed('counter'),
      valid: roundTrip(valid.uint, (n) => encodeRlp(encodeUint(n))),
    }),
    decoder({
      name: 'state.nonce',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(nonceKey(new Uint8Array(20)), b).nonce(new Uint8Array(20)),
      codeOf: coreCode,
      reencode: (n) => encodeRlp(encodeUint(n)),
      seeds: stateSeed('nonce/'),
    }),
    decoder({
      name: 'state.validators',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(VALIDATORS_KEY, b).validators(),
      codeOf: coreCode,
      reencode: (v: Validator[]) => encodeRlp(encodeValidators(v)),
      seeds: stateSeed('validators'),
    }),
    decoder({
      name: 'state.threshold',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(THRESHOLD_KEY, b).threshold(),
      codeOf: coreCode,
      reencode: (t: Threshold) => encodeRlp(encodeThreshold(t)),
      seeds: stateSeed('threshold'),
    }),
    decoder({
      name: 'state.params',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(PARAMS_KEY, b).params(),
      codeOf: coreCode,
      reencode: encodeParams,
      seeds: stateSeed('params'),
    }),
    decoder({
      name: 'state.pending',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(PENDING_KEY, b).pending()!,
      codeOf: coreCode,
      reencode: encodePending,
      seeds: [encodePending({ activateAt: 12, validators, threshold: { numerator: 2, denominator: 3 } })],
    }),
    decoder({
      name: 'state.proposal',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(proposalKey(proposalId), b).proposal(proposalId)!,
      codeOf: coreCode,
      reencode: encodeEntityProposal,
      seeds: [...stateSeed('proposal/'), encodeEntityProposal({ id: proposalId, action: encodeAction(c.actions[0]!), creator: validators[0]!.account, shares: 3, expiresAt: 99, voters: [validators[0]!.account, validators[1]!.account] })],
    }),
    decoder({
      name: 'state.expiryCount',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(expiryCountKey(5), b).expiringCount(5),
      codeOf: coreCode,
      reencode: (n: number) => encodeRlp(encodeUint(n)),
      seeds: [encodeRlp(encodeUint(3)), encodeRlp(encodeUint(0))],
    }),
    decoder({
      name: 'state.expiryEntry',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(expiryEntryKey(5, 0), b).expiringAt(5, 0),
      codeOf: coreCode,
      reencode: (id: Bytes) => encodeRlp(id),
      seeds: [encodeRlp(proposalId)],
    }),
    decoder({
      name: 'state.openProposals',
      source: 'entity state value (disk)',
      format: 'rlp',
      decode: (b) => new OneValue(openProposalsKey(validators[0]!.account), b).openProposals(validators[0]!.account),
      codeOf: coreCode,
      reencode: (n: number) => encodeRlp(encodeUint(n)),
      seeds: [encodeRlp(encodeUint(2))],
    }),

    // ---- chain store records and the server's own state (disk)
    decoder({
      name: 'chain.head',
      source: 'chain store head record (disk)',
      format: 'rlp',
      decode: (b) => new ChainStore(storeHolding(b), chain.entity).loadHead(),
      codeOf: coreCode,
      seeds: [encodeRlp([encodeUint(1), c.blockHash, sha256(c.block)]), encodeRlp([encodeUint(0), chain.entity, sha256(c.commit)])],
    }),
    decoder({
      name: 'chain.heightIndex',
      source: 'chain store height index record (disk)',
      format: 'rlp',
      decode: (b) => new ChainStore(storeHolding(b), chain.entity).loadBlockHash(1),
      codeOf: coreCode,
      seeds: [encodeRlp(c.blockHash)],
    }),
    decoder({
      name: 'chain.txIndex',
      source: 'chain store tx index record (disk)',
      format: 'rlp',
      decode: (b) => new ChainStore(storeHolding(b), chain.entity).loadTxLocation(sha256(c.txs[0]!)),
      codeOf: coreCode,
      seeds: [encodeRlp([encodeUint(1), encodeUint(0)]), encodeRlp([encodeUint(300), encodeUint(19999)])],
    }),
    decoder({
      name: 'chain.firstKept',
      source: 'chain store first-kept (pruning) record (disk)',
      format: 'rlp',
      decode: (b) => new ChainStore(storeHolding(b), chain.entity).loadFirstKept(),
      codeOf: coreCode,
      reencode: (n: number) => encodeRlp(encodeUint(n)),
      seeds: [encodeRlp(encodeUint(1)), encodeRlp(encodeUint(601))],
    }),
    decoder({
      name: 'storage.schemaVersion',
      source: 'the schema version record, read when a node opens its database',
      format: 'rlp',
      decode: (b) => checkSchemaVersion(storeHolding(b)),
      codeOf: coreCode,
      seeds: [encodeRlp(encodeUint(1))],
    }),
    decoder({
      name: 'signerRecord',
      source: 'a validator signer record (inside the server root, disk)',
      format: 'rlp',
      decode: (b) => signer.restoreRecord(decodeSignerRecord(b)),
      codeOf: coreCode,
      seeds: [encodeRlp([c.votes.map(encodeVote)]), encodeRlp([[encodeVote(c.votes[0]!)], [encodeVote(c.votes[1]!)]])],
    }),
    decoder({
      name: 'server.root',
      source: 'the server root record, read when a node opens its database',
      format: 'rlp',
      decode: async (b) => {
        const store = new MemoryStore()
        const root = serverRootKey(c.serverSeeds.id)
        store.get = async (key: Bytes) => (sameBytes(key, root) ? b : undefined)
        return (await Server.open({ id: c.serverSeeds.id, store, entities: [], validatorSeeds: [c.serverSeeds.validator], sync: false })).frameHeight
      },
      codeOf: coreCode,
      seeds: [c.serverRoot],
    }),
  ]
}
