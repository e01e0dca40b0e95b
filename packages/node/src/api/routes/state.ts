// Reads of the entity's state: key/value entries (with proofs), the entity's own configuration,
// its open proposals, and the root's registry of entities (entries with proofs).

import type { FastifyInstance } from 'fastify'
import type { NodeApi } from '../node-api.ts'
import { ApiError } from '../node-api.ts'
import { ApiErrorCode } from '../errors.ts'
import {
  DEFAULT_KV_KEYS_LIMIT,
  DEFAULT_REGISTRY_LIMIT,
  KV_KEY_PATTERN,
  MAX_KV_PATH_CHARS,
  entityQuery,
  kvGetQuery,
  kvKeysQuery,
  proveQuery,
  registryEntityParams,
  registryQuery,
} from '../schemas.ts'

const KV_KEY = new RegExp(KV_KEY_PATTERN, 's')

export function registerStateRoutes(app: FastifyInstance, node: NodeApi): void {
  // A wildcard, not `:key`: the key holds a '/', and clients may send it encoded (%2F) or not.
  app.get<{ Params: { '*': string }; Querystring: { prove?: string; entity?: string } }>(
    '/kv/*',
    { schema: { querystring: kvGetQuery } },
    async (request) => {
      const key = request.params['*']
      if (key.length > MAX_KV_PATH_CHARS || !KV_KEY.test(key)) {
        throw new ApiError(400, ApiErrorCode.BadRequest, 'params/key must be <account: 40 hex>/<key>')
      }
      // Addresses are stored in lowercase hex: normalise so either case names the same entry.
      const slash = key.indexOf('/')
      const normalised = `${key.slice(0, slash).toLowerCase()}${key.slice(slash)}`
      const prove = request.query.prove === '1' || request.query.prove === 'true'
      return node.kvGet(normalised, prove, request.query.entity)
    },
  )

  app.get<{ Querystring: { prefix?: string; limit?: number; entity?: string } }>('/kv', { schema: { querystring: kvKeysQuery } }, async (request) => {
    const keys = await node.kvKeys(request.query.prefix ?? '', request.query.limit ?? DEFAULT_KV_KEYS_LIMIT, request.query.entity)
    return { keys }
  })

  app.get<{ Querystring: { entity?: string } }>('/entity', { schema: { querystring: entityQuery } }, async (request) => node.entity(request.query.entity))

  app.get('/entities', async () => ({ entities: await node.entities() }))

  app.post<{ Body: { entity: string } }>('/entities', { schema: { body: registryEntityParams } }, async (request) => node.joinEntity(request.body.entity))

  app.delete<{ Params: { entity: string } }>('/entities/:entity', { schema: { params: registryEntityParams } }, async (request, reply) => {
    await node.leaveEntity(request.params.entity)
    return reply.code(204).send()
  })

  app.get<{ Querystring: { entity?: string } }>('/proposals', { schema: { querystring: entityQuery } }, async (request) => ({ proposals: await node.proposals(request.query.entity) }))

  // the root's registry of entities (core machines/registry.ts)
  app.get<{ Querystring: { from?: number; limit?: number } }>('/registry', { schema: { querystring: registryQuery } }, async (request) =>
    node.registry(request.query.from ?? 0, request.query.limit ?? DEFAULT_REGISTRY_LIMIT),
  )

  app.get<{ Params: { entity: string }; Querystring: { prove?: string } }>(
    '/registry/:entity',
    { schema: { params: registryEntityParams, querystring: proveQuery } },
    async (request) => node.registryEntry(request.params.entity, request.query.prove === '1' || request.query.prove === 'true'),
  )
}
