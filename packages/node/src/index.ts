/**
 * @packageDocumentation
 *
 * p2pnode's peer node: libp2p networking, and (to come) the consensus loop, sync, the local API,
 * metrics and logs, on top of @p2pnode/core.
 *
 * @example
 * ```ts
 * import { Network, networkConfig } from '@p2pnode/node'
 *
 * const network = await Network.create(networkConfig({ network: 'testnet', dataDir: '/var/lib/p2pnode' }))
 * await network.start()
 * network.subscribe(network.topic(entityHex, 'vote'), validateVote, onVote)
 * ```
 */

// Must stay first: libp2p 2.x needs Promise.withResolvers, which Node 20 lacks.
import './polyfill.ts'

export * from './network/index.ts'
