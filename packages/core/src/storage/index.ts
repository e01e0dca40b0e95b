// Storage: one KeyValueStore contract, a LevelDB and an in-memory implementation, the key layout,
// and typed access to an entity's chain on top of it.

export type { BatchOp, KeyRange, KeyValueStore } from './interface.ts'
export { MemoryStore } from './memory.ts'
export { LevelStore } from './level.ts'
export * from './schema.ts'
export { checkSchemaVersion } from './schema-version.ts'
export { ChainStore, type CommittedBlock, type Head, type TxLocation } from './chain-store.ts'
