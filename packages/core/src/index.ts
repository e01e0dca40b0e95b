/**
 * @packageDocumentation
 *
 * p2pnode's pure chain and machine logic. Nothing here does network I/O, reads a clock or draws
 * randomness: time and seeds arrive as arguments, storage through the KeyValueStore interface.
 *
 * @example
 * ```ts
 * import { Server, LevelStore, makeGenesis } from '@p2pnode/core'
 *
 * const store = await LevelStore.open('/var/lib/p2pnode/db')
 * const server = await Server.open({ id, store, entities: [genesis] })
 * server.receive(input)          // RLP: [keys[], values...]
 * await server.seal(Date.now())  // one frame, one atomic batch
 * ```
 */

export * from './bytes.ts'
export * from './hash.ts'
export * from './errors.ts'
export * from './limits.ts'
export * from './types/chain.ts'
export * from './codec/rlp.ts'
export * from './codec/objects.ts'
export * from './codec/bitmap.ts'
export * from './crypto/index.ts'
export * from './state/tree.ts'
export * from './state/proof.ts'
export * from './storage/index.ts'
export * from './machines/payloads.ts'
export * from './machines/state-keys.ts'
export * from './machines/entity-state.ts'
export * from './machines/execute.ts'
export * from './machines/genesis.ts'
export * from './machines/registry.ts'
export * from './machines/entity.ts'
export * from './machines/signer.ts'
export * from './machines/server.ts'
export * from './machines/server-input.ts'
export * from './machines/server-root.ts'
export * from './machines/prune.ts'
export * from './validation/block.ts'
export * from './validation/build.ts'
export * from './validation/commit.ts'
export * from './mempool/mempool.ts'
export * from './consensus/index.ts'
// Two commit checks: validation's (BLS, with the height) is the one most callers want; the
// consensus one takes its crypto as an argument.
export { verifyCommit } from './validation/commit.ts'
export { verifyCommit as verifyCommitWithCrypto } from './consensus/commit.ts'
