// The database says which layout (schema.ts) it was written in, so a release never misreads a
// database another release wrote: it reads the versions it knows and refuses any other with
// STORAGE_SCHEMA_UNSUPPORTED, before it reads or writes anything else.

import { asUint, decodeRlp, encodeRlp, encodeUint } from '../codec/rlp.ts'
import { CoreError, ErrorCode, isCoreError } from '../errors.ts'
import type { KeyValueStore } from './interface.ts'
import { SCHEMA_VERSION, schemaVersionKey } from './schema.ts'

/** An RLP uint: a few bytes. */
const MAX_VERSION_RECORD_BYTES = 16

/**
 * Checks the store's schema version, and writes the current one into a store without one: a new
 * database, or one made before the version was recorded (its layout is version 1's).
 */
export async function checkSchemaVersion(store: KeyValueStore): Promise<void> {
  const bytes = await store.get(schemaVersionKey())
  if (bytes === undefined) {
    await store.put(schemaVersionKey(), encodeRlp(encodeUint(SCHEMA_VERSION)))
    return
  }
  let version: number
  try {
    version = asUint(decodeRlp(bytes, MAX_VERSION_RECORD_BYTES, 'schema version'), 'schema version')
  } catch (err) {
    if (!isCoreError(err)) throw err
    throw new CoreError(ErrorCode.StorageCorrupt, 'the schema version record does not decode', { cause: err.code })
  }
  if (version !== SCHEMA_VERSION) {
    throw new CoreError(
      ErrorCode.StorageSchemaUnsupported,
      `the database is in schema version ${version}; this release reads version ${SCHEMA_VERSION} (${version > SCHEMA_VERSION ? 'a newer release wrote it' : 'an older layout'})`,
      { version, supported: SCHEMA_VERSION },
    )
  }
}
