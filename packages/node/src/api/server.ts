// The local HTTP API (route table in routes/index.ts). It binds to 127.0.0.1 unless told
// otherwise, and every request passes, in order: the per-address rate limit (so a token cannot
// be guessed at speed), the bearer token (except /health), the body limit and JSON-schema
// validation (so malformed input is a 400 before the node sees it), then the route. The node is
// reached only through NodeApi.

import { createHash, timingSafeEqual } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import { silentLogger } from '../logger.ts'
import { DEFAULT_API_HOST, DEFAULT_API_PORT, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUESTS_PER_SECOND } from './defaults.ts'
import type { NodeMetrics } from '../metrics/metrics.ts'
import { ApiErrorCode, installErrorHandling, sendError } from './errors.ts'
import type { NodeApi } from './node-api.ts'
import { RateLimiter } from './rate-limit.ts'
import { PUBLIC_ROUTES, registerRoutes } from './routes/index.ts'
import { MAX_KV_PATH_CHARS } from './schemas.ts'

const BEARER = /^Bearer +(\S+) *$/i

export interface ApiServerInit {
  node: NodeApi
  token: string
  host?: string
  /** 0 picks a free port (tests). */
  port?: number
  maxBodyBytes?: number
  /** Per client address; 0 or Infinity turns the limit off. */
  requestsPerSecond?: number
  logger?: Logger
  metrics?: NodeMetrics
  /** Interval of the /events heartbeat comment. Default 15 s. */
  heartbeatMs?: number
  maxEventStreams?: number
  /** Monotonic milliseconds, for the rate limiter. Default performance.now. */
  now?: () => number
}

export interface ApiServer {
  start(): Promise<{ url: string }>
  stop(): Promise<void>
  /** The fastify instance, for `inject` in tests and for the node to add routes. */
  readonly app: FastifyInstance
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest()
}

/** Constant-time in the token's content: both sides are hashed to equal-length digests first. */
export function tokenMatches(header: string | undefined, expectedDigest: Buffer): boolean {
  const match = header === undefined ? null : BEARER.exec(header)
  const given = digest(match?.[1] ?? '')
  return timingSafeEqual(given, expectedDigest) && match !== null
}

export function createApiServer(init: ApiServerInit): ApiServer {
  if (init.token.length === 0) throw new TypeError('api token: must not be empty')
  const logger = (init.logger ?? silentLogger()).child({ module: 'api' })
  const host = init.host ?? DEFAULT_API_HOST
  const port = init.port ?? DEFAULT_API_PORT
  const expected = digest(init.token)
  const rps = init.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND
  const limiter = rps > 0 && Number.isFinite(rps) ? new RateLimiter({ ratePerSecond: rps, now: init.now }) : null
  const metrics = init.metrics

  const app = Fastify({
    logger: false,
    // While closing, our own hook answers 503 in the API's error shape instead of fastify's.
    return503OnClosing: false,
    // A stopping node does not wait for clients' keep-alive connections to go idle (seconds).
    forceCloseConnections: true,
    // No implicit HEAD: a HEAD on /events would open a stream with no one to read it.
    exposeHeadRoutes: false,
    bodyLimit: init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    // A kv path is longer than the router's default cap of 100 characters per parameter.
    routerOptions: { maxParamLength: 3 * MAX_KV_PATH_CHARS },
    ajv: {
      // Unknown body fields are an error, not silently dropped; query values are coerced
      // from strings to the schema's types.
      customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false },
    },
  })
  installErrorHandling(app, logger)

  let started = false
  let closing = false

  app.addHook('onRequest', async (request: FastifyRequest, reply) => {
    if (closing) {
      reply.header('connection', 'close')
      return sendError(reply, 503, ApiErrorCode.NotReady, 'the node is stopping')
    }
    if (limiter !== null) {
      const wait = limiter.take(request.ip)
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait)))
        return sendError(reply, 429, ApiErrorCode.RateLimited, `more than ${rps} requests per second`)
      }
    }
    if (request.routeOptions.url !== undefined && PUBLIC_ROUTES.has(request.routeOptions.url)) return
    if (!tokenMatches(request.headers.authorization, expected)) {
      reply.header('www-authenticate', 'Bearer')
      return sendError(reply, 401, ApiErrorCode.Unauthorized, 'missing or wrong bearer token')
    }
  })

  if (metrics !== undefined) {
    app.addHook('onResponse', async (request, reply) => {
      metrics.apiRequest(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000)
    })
  }

  registerRoutes(app, { node: init.node, logger, heartbeatMs: init.heartbeatMs, maxEventStreams: init.maxEventStreams })

  return {
    app,
    async start() {
      if (started) throw new Error('api server already started')
      started = true
      const url = await app.listen({ host, port }).catch((err: unknown) => {
        started = false
        throw err
      })
      logger.info({ url }, 'api listening')
      return { url }
    },
    async stop() {
      if (!started) return
      started = false
      closing = true
      await app.close()
      logger.info('api stopped')
    },
  }
}
