// Every error the API sends has one shape, `{ "error": { "code", "message" } }`, whoever raised
// it: a route, the node (ApiError), or fastify itself (bad JSON, body too large, schema
// validation). Anything else is a bug in the node: it is logged with its stack and answered with
// a bare 500 that leaks nothing.

import type { FastifyInstance, FastifyReply } from 'fastify'
import type { Logger } from 'pino'
import { ApiError } from './node-api.ts'

export const ApiErrorCode = {
  BadRequest: 'BAD_REQUEST',
  Unauthorized: 'UNAUTHORIZED',
  NotFound: 'NOT_FOUND',
  BlockNotFound: 'BLOCK_NOT_FOUND',
  /** No entity is registered under that id or name. */
  EntityUnknown: 'ENTITY_UNKNOWN',
  /** The node does not host that entity (leave). */
  EntityNotHosted: 'ENTITY_NOT_HOSTED',
  /** The root entity cannot be left. */
  EntityRoot: 'ENTITY_ROOT',
  /** A block below the node's first kept height (storage.keepBlocks pruned it): 410. */
  BlockPruned: 'BLOCK_PRUNED',
  /** A string that passes the peer id pattern but does not decode as one. */
  BadPeerId: 'BAD_PEER_ID',
  CannotBanSelf: 'CANNOT_BAN_SELF',
  BanNotFound: 'BAN_NOT_FOUND',
  /** POST /peers to a banned peer (409). */
  PeerBanned: 'PEER_BANNED',
  BodyTooLarge: 'BODY_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  RateLimited: 'RATE_LIMITED',
  NotReady: 'NOT_READY',
  TooManyStreams: 'TOO_MANY_STREAMS',
  Internal: 'INTERNAL',
} as const

export interface ErrorBody {
  error: { code: string; message: string }
}

export interface DescribedError {
  status: number
  code: string
  message: string
}

const MAX_MESSAGE_CHARS = 300

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  const body: ErrorBody = { error: { code, message: message.slice(0, MAX_MESSAGE_CHARS) } }
  return reply.code(status).type('application/json; charset=utf-8').send(body)
}

/** Status, code and message for anything thrown while serving a request. */
export function describeError(err: unknown): DescribedError {
  if (err instanceof ApiError) return { status: err.status, code: err.code, message: err.message }
  const e = err as { name?: unknown; status?: unknown; code?: unknown; statusCode?: unknown; validation?: unknown; message?: unknown } | null
  if (e === null || typeof e !== 'object') return internal()
  // An ApiError from a second copy of node-api.ts (another import path) fails instanceof.
  if (e.name === 'ApiError' && typeof e.code === 'string' && typeof e.status === 'number') {
    if ((e.status >= 400 && e.status < 500) || e.status === 503) return { status: e.status, code: e.code, message: String(e.message) }
  }
  // Schema validation failures: the message names the field ("body/tx must match pattern ...").
  if (e.validation !== undefined) return { status: 400, code: ApiErrorCode.BadRequest, message: String(e.message) }
  // Only fastify's own errors are trusted to carry a client status; a statusCode on an error
  // from deeper in the node says nothing about the request.
  if (typeof e.code === 'string' && e.code.startsWith('FST_') && typeof e.statusCode === 'number' && e.statusCode < 500) {
    const message = String(e.message)
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: ApiErrorCode.BodyTooLarge, message }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, code: ApiErrorCode.UnsupportedMediaType, message }
    if (e.statusCode === 413) return { status: 413, code: ApiErrorCode.BodyTooLarge, message }
    if (e.statusCode === 404) return { status: 404, code: ApiErrorCode.NotFound, message }
    return { status: e.statusCode, code: ApiErrorCode.BadRequest, message }
  }
  return internal()
}

function internal(): DescribedError {
  return { status: 500, code: ApiErrorCode.Internal, message: 'internal error' }
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err, request, reply) => {
    const d = describeError(err)
    if (d.status >= 500) logger.error({ err, method: request.method, route: request.routeOptions.url }, 'api request failed')
    else logger.debug({ code: d.code, status: d.status, method: request.method, route: request.routeOptions.url }, 'api request refused')
    return sendError(reply, d.status, d.code, d.message)
  })
  app.setNotFoundHandler((request, reply) => {
    return sendError(reply, 404, ApiErrorCode.NotFound, `no route ${request.method} ${request.url.split('?')[0] ?? ''}`)
  })
}
