// The node itself: health (the one route without a token, for load balancers and systemd
// watchdogs), status, its peers, and the peers it bans.

import type { FastifyInstance } from 'fastify'
import type { BanOptions, NodeApi } from '../node-api.ts'
import { describeError } from '../errors.ts'
import { banBody, connectBody, peerIdParams } from '../schemas.ts'

const HEALTH_STATUS = { ok: 200, syncing: 206, down: 503 } as const

export function registerNodeRoutes(app: FastifyInstance, node: NodeApi): void {
  app.get('/health', async (_request, reply) => {
    let health: ReturnType<NodeApi['health']>
    try {
      health = node.health()
    } catch (err) {
      // A node that cannot even say how it is, is down; the reason is safe to show only when it
      // is one of ours (ApiError), never a stack.
      health = { status: 'down', reason: describeError(err).message }
    }
    const body = health.reason === undefined ? { status: health.status } : { status: health.status, reason: health.reason }
    return reply.code(HEALTH_STATUS[health.status] ?? 503).send(body)
  })

  app.get('/status', async () => node.status())

  app.get('/peers', async () => ({ peers: node.peers() }))

  app.post<{ Body: { multiaddr: string } }>('/peers', { schema: { body: connectBody } }, async (request) => {
    return node.connect(request.body.multiaddr)
  })

  app.delete<{ Params: { peerId: string } }>('/peers/:peerId', { schema: { params: peerIdParams } }, async (request, reply) => {
    await node.disconnect(request.params.peerId)
    return reply.code(204).send()
  })

  app.get('/bans', async () => ({ bans: node.bans() }))

  app.post<{ Body: { peerId: string } & BanOptions }>('/bans', { schema: { body: banBody } }, async (request) => {
    const { peerId, ...options } = request.body
    return { ban: await node.ban(peerId, options) }
  })

  app.delete<{ Params: { peerId: string } }>('/bans/:peerId', { schema: { params: peerIdParams } }, async (request, reply) => {
    node.unban(request.params.peerId)
    return reply.code(204).send()
  })
}
