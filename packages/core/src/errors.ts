// One error class for all of core, with a string code and structured data (as Lodestar does).
// Tests assert codes, never messages. The node maps codes to gossip verdicts and peer penalties
// in one table; the codes themselves say nothing about the network.

export const ErrorCode = {
  // codec: bytes that are not the canonical encoding of the object they claim to be
  CodecTooLarge: 'CODEC_TOO_LARGE',
  CodecMalformed: 'CODEC_MALFORMED',
  CodecNonCanonical: 'CODEC_NON_CANONICAL',
  CodecTrailingBytes: 'CODEC_TRAILING_BYTES',
  CodecBadField: 'CODEC_BAD_FIELD',
  // codec: canonical RLP beyond the decoder's bounds (nesting depth, items per decode)
  CodecTooDeep: 'CODEC_TOO_DEEP',
  CodecTooManyItems: 'CODEC_TOO_MANY_ITEMS',

  // crypto: keys and signatures that cannot be parsed
  CryptoBadKey: 'CRYPTO_BAD_KEY',
  CryptoBadSignature: 'CRYPTO_BAD_SIGNATURE',

  // transactions
  TxWrongNetwork: 'TX_WRONG_NETWORK',
  TxWrongEntity: 'TX_WRONG_ENTITY',
  TxBadSignature: 'TX_BAD_SIGNATURE',
  TxNonceTooLow: 'TX_NONCE_TOO_LOW',
  TxNonceGap: 'TX_NONCE_GAP',
  TxUnknownKind: 'TX_UNKNOWN_KIND',
  TxBadPayload: 'TX_BAD_PAYLOAD',
  TxNotValidator: 'TX_NOT_VALIDATOR',
  TxProposalUnknown: 'TX_PROPOSAL_UNKNOWN',
  TxProposalExists: 'TX_PROPOSAL_EXISTS',
  TxAlreadyVoted: 'TX_ALREADY_VOTED',
  TxBadAction: 'TX_BAD_ACTION',
  TxTooManyOpenProposals: 'TX_TOO_MANY_OPEN_PROPOSALS',
  /** The entity takes transactions only from admitted accounts and validators (openAccounts 0). */
  TxAccountNotAdmitted: 'TX_ACCOUNT_NOT_ADMITTED',
  /** entity.create sent to an entity that keeps no registry (only the network's root does). */
  TxNoRegistry: 'TX_NO_REGISTRY',
  /** The block already registers maxEntitiesPerBlock entities: send it again. */
  TxRegistryBusy: 'TX_REGISTRY_BUSY',
  /** The account has registered maxEntitiesPerAccount entities. */
  TxTooManyEntities: 'TX_TOO_MANY_ENTITIES',
  TxEntityExists: 'TX_ENTITY_EXISTS',
  TxEntityNameTaken: 'TX_ENTITY_NAME_TAKEN',
  /** The genesis of an entity.create is not one a registered entity may have (cause in data). */
  TxBadEntityGenesis: 'TX_BAD_ENTITY_GENESIS',

  // blocks, in the order validation meets them
  BlockTooLarge: 'BLOCK_TOO_LARGE',
  BlockWrongNetwork: 'BLOCK_WRONG_NETWORK',
  BlockWrongEntity: 'BLOCK_WRONG_ENTITY',
  BlockWrongHeight: 'BLOCK_WRONG_HEIGHT',
  BlockParentUnknown: 'BLOCK_PARENT_UNKNOWN',
  BlockTimeBeforeParent: 'BLOCK_TIME_BEFORE_PARENT',
  BlockTimeInFuture: 'BLOCK_TIME_IN_FUTURE',
  BlockTxsHashMismatch: 'BLOCK_TXS_HASH_MISMATCH',
  BlockValidatorsHashMismatch: 'BLOCK_VALIDATORS_HASH_MISMATCH',
  BlockBadProposer: 'BLOCK_BAD_PROPOSER',
  BlockTooManyTxs: 'BLOCK_TOO_MANY_TXS',
  BlockBadTx: 'BLOCK_BAD_TX',
  BlockStateRootMismatch: 'BLOCK_STATE_ROOT_MISMATCH',

  // commits (quorum certificates)
  CommitWrongBlock: 'COMMIT_WRONG_BLOCK',
  CommitBadBitmap: 'COMMIT_BAD_BITMAP',
  CommitNoQuorum: 'COMMIT_NO_QUORUM',
  CommitBadSignature: 'COMMIT_BAD_SIGNATURE',

  // votes
  VoteUnknownValidator: 'VOTE_UNKNOWN_VALIDATOR',
  VoteBadSignature: 'VOTE_BAD_SIGNATURE',
  VoteWrongNetwork: 'VOTE_WRONG_NETWORK',
  VoteWrongEntity: 'VOTE_WRONG_ENTITY',
  VoteConflict: 'VOTE_CONFLICT',

  // mempool admission
  MempoolFull: 'MEMPOOL_FULL',
  MempoolTxTooLarge: 'MEMPOOL_TX_TOO_LARGE',
  MempoolDuplicate: 'MEMPOOL_DUPLICATE',
  MempoolAlreadyCommitted: 'MEMPOOL_ALREADY_COMMITTED',
  MempoolSenderFull: 'MEMPOOL_SENDER_FULL',

  // machines
  ServerBadInput: 'SERVER_BAD_INPUT',
  ServerUnknownMachine: 'SERVER_UNKNOWN_MACHINE',
  ServerStateMismatch: 'SERVER_STATE_MISMATCH',
  ServerBusy: 'SERVER_BUSY',

  // genesis and configuration of an entity
  GenesisInvalid: 'GENESIS_INVALID',

  // storage
  StorageCorrupt: 'STORAGE_CORRUPT',
  StorageNotFound: 'STORAGE_NOT_FOUND',
  StorageClosed: 'STORAGE_CLOSED',
  /** The database was written in a layout (schema version) this release does not read. */
  StorageSchemaUnsupported: 'STORAGE_SCHEMA_UNSUPPORTED',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export class CoreError extends Error {
  override readonly name = 'CoreError'
  readonly code: ErrorCode
  /**
   * Structured context. Not named `details`: uvu reads `err.details` as a string when it formats
   * a failure, and an object there made it swallow the failure silently.
   */
  readonly data: Record<string, unknown>

  constructor(code: ErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(`${code}: ${message}`)
    this.code = code
    this.data = data
  }
}

export function isCoreError(err: unknown, code?: ErrorCode): err is CoreError {
  return err instanceof CoreError && (code === undefined || err.code === code)
}
