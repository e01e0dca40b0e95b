/**
 * @packageDocumentation
 *
 * p2pnode's peer node on top of @p2pnode/core: libp2p networking, gossip, sync, the consensus
 * loop with its write-ahead log, the local HTTP API with its Client, Prometheus metrics and
 * structured logs. As Spreadable's Node and Client: `createNode` runs a node from its home, and
 * `Client` talks to a running one (the Client loads none of libp2p: import it from
 * '@p2pnode/node/client' where only the client is needed).
 *
 * @example
 * ```ts
 * import { createNode, Client, initHome } from '@p2pnode/node'
 *
 * await initHome('/var/lib/p2pnode', { network: 'testnet' })
 * const node = await createNode({ home: '/var/lib/p2pnode' })
 * const client = new Client({ url: node.apiUrl, token: node.home.apiToken })
 * console.log(await client.status())
 * await node.stop()
 * ```
 */

// Must stay first: libp2p 2.x needs Promise.withResolvers, which Node 20 lacks.
import './polyfill.ts'

export { startNode, startNode as createNode, type NodeOptions, type RunningNode, FRAME_INTERVAL_MS } from './node.ts'
export * from './config.ts'
export * from './home/home.ts'
export * from './home/genesis-json.ts'
export { generateTestnet, type TestnetNode, type TestnetOptions, DEFAULT_BASE_PORT } from './home/testnet.ts'
export * from './api/client.ts'
export * from './api/node-api.ts'
export { createLogger } from './logger.ts'
export * from './network/index.ts'
export { NODE_FLAGS } from './runtime-flags.ts'
