// The storage section of the node's config: keepBlocks is 0 (keep all, the default) or at least
// MIN_KEEP_BLOCKS, and a bad value fails at start naming the field.

import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, DEFAULT_CONFIG, resolveConfig } from '../../packages/node/src/config.ts'
import { MIN_KEEP_BLOCKS } from '../../packages/node/src/storage/pruner.ts'

const fieldOf = (layer: unknown) => {
  try {
    resolveConfig(layer)
    return 'accepted'
  } catch (err) {
    return err instanceof ConfigError ? err.field : String(err)
  }
}

test('storage.keepBlocks: absent or 0 keeps all; a number at least the floor prunes; anything else names the field', () => {
  assert.is(DEFAULT_CONFIG.storage.keepBlocks, 0)
  assert.is(resolveConfig({}).storage.keepBlocks, 0)
  for (const ok of [0, MIN_KEEP_BLOCKS, 1_000_000]) assert.is(fieldOf({ storage: { keepBlocks: ok } }), 'accepted', `keepBlocks ${ok}`)
  for (const bad of [1, MIN_KEEP_BLOCKS - 1, -1, 1.5, '100', null]) assert.is(fieldOf({ storage: { keepBlocks: bad } }), 'storage.keepBlocks', `keepBlocks ${String(bad)}`)
})

test.run()
