// The HTTP API's routes. JSON in and out; bytes as lowercase hex. Every route but /health takes
// `Authorization: Bearer <token>`. Errors are `{ "error": { "code", "message" } }` (errors.ts).
//
// | route                           | body / query                     | answer                                      |
// |---------------------------------|----------------------------------|---------------------------------------------|
// | GET    /health                  | (no token)                       | 200 ok, 206 syncing, 503 down: {status, reason?} |
// | GET    /status                  |                                  | StatusView                                  |
// | GET    /peers                   |                                  | {peers: PeerView[]}                         |
// | POST   /peers                   | {multiaddr}                      | PeerView or {peerId}, 409 PEER_BANNED       |
// | DELETE /peers/:peerId           |                                  | 204                                         |
// | GET    /bans                    |                                  | {bans: BanView[]}                           |
// | POST   /bans                    | {peerId, minutes?, reason?}      | {ban: BanView}, 400 CANNOT_BAN_SELF         |
// | DELETE /bans/:peerId            |                                  | 204, 404 BAN_NOT_FOUND                      |
// | GET    /blocks/head             |                                  | BlockView                                   |
// | GET    /blocks/:id              | id: height or 64-hex hash        | BlockView, 404 BLOCK_NOT_FOUND              |
// | GET    /blocks?from=&to=        | to defaults to, and is capped at, from + 99 | {blocks: BlockView[]}            |
// | POST   /transactions            | {tx: hex of signed bytes}        | 202 {hash}                                  |
// | POST   /transactions/batch      | {txs: hex[]} (at most 1,000)     | 200 {results: ({hash} or {error})[]}         |
// | POST   /transactions/unsigned   | {kind, payload: hex}             | 202 {hash, nonce} (the node signs)          |
// | GET    /transactions/:hash      |                                  | TxStatusView ('unknown' is a 200)           |
// | GET    /kv/<account>/<key>      | ?prove=1; the '/' may be %2F     | KvView (proof with prove)                   |
// | GET    /kv?prefix=&limit=       | limit 1..1000, default 100       | {keys: string[]}                            |
// | GET    /entity                  |                                  | EntityView                                  |
// | GET    /proposals               |                                  | {proposals: ProposalView[]}                 |
// | GET    /events                  |                                  | text/event-stream of NodeEvent              |

import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { NodeApi } from '../node-api.ts'
import { registerChainRoutes } from './chain.ts'
import { registerEventRoutes } from './events.ts'
import { registerNodeRoutes } from './node.ts'
import { registerStateRoutes } from './state.ts'

export interface RoutesInit {
  node: NodeApi
  logger: Logger
  heartbeatMs?: number
  maxEventStreams?: number
}

/** Routes that answer without a token. */
export const PUBLIC_ROUTES: ReadonlySet<string> = new Set(['/health'])

export function registerRoutes(app: FastifyInstance, init: RoutesInit): void {
  registerNodeRoutes(app, init.node)
  registerChainRoutes(app, init.node)
  registerStateRoutes(app, init.node)
  registerEventRoutes(app, {
    node: init.node,
    logger: init.logger,
    heartbeatMs: init.heartbeatMs,
    maxStreams: init.maxEventStreams,
  })
}
