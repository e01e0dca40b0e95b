// The libp2p side of a home: its peer id (from <home>/p2p/node-key, made on first use) and the
// check of the multiaddrs an operator types. Kept apart from home.ts because libp2p's key code
// takes a while to load, and commands that only read a home should not pay for it.

import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { loadOrCreateNodeKey } from '../network/keys.ts'

/** The peer id of the node key in `p2pDir`, creating the key (0600) if the home has none yet. */
export async function peerIdOf(p2pDir: string): Promise<string> {
  return peerIdFromPrivateKey(await loadOrCreateNodeKey(p2pDir)).toString()
}

/** Why `text` is not a usable multiaddr (one with /p2p/<id> when `peerId` is asked), or undefined. */
export function multiaddrProblem(text: string, options: { peerId?: boolean } = {}): string | undefined {
  let addr
  try {
    addr = multiaddr(text)
  } catch (err) {
    return `${JSON.stringify(text)} is not a multiaddr (${(err as Error).message})`
  }
  if (options.peerId && addr.getPeerId() == null) return `${text} lacks /p2p/<peer id>`
  return undefined
}
