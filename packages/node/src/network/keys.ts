// The node's libp2p identity: an Ed25519 key in <dataDir>/node-key, created on first start.
// The peer id derives from it, so a node keeps its id across restarts.

import { mkdir, open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { NetworkError, NetworkErrorCode } from './errors.ts'

export const NODE_KEY_FILE = 'node-key'
const KEY_FILE_MODE = 0o600

/** Loads the node key from `<dataDir>/node-key`, creating it (mode 0600) if it is missing. */
export async function loadOrCreateNodeKey(dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, NODE_KEY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (bytes !== undefined) return decodeNodeKey(bytes, path)
  await mkdir(dataDir, { recursive: true })
  const key = await generateKeyPair('Ed25519')
  // 'wx': if two processes race on a fresh home, one fails rather than both writing a key.
  const file = await open(path, 'wx', KEY_FILE_MODE)
  try {
    await file.writeFile(privateKeyToProtobuf(key))
    await file.sync()
  } finally {
    await file.close()
  }
  return key
}

/**
 * The key in a node-key file. libp2p's protobuf reader throws whatever it meets (RangeError,
 * TypeError, plain Errors); a damaged file must stop the node with a message naming it.
 */
export function decodeNodeKey(bytes: Uint8Array, path = NODE_KEY_FILE): PrivateKey {
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new NetworkError(NetworkErrorCode.BadNodeKey, `${path} does not hold a node key (${(err as Error).message}); move it away to make a new one (the node's peer id changes)`, { path })
  }
}
