// Blocks and transactions.

import type { FastifyInstance } from 'fastify'
import type { BlockView, NodeApi } from '../node-api.ts'
import { ApiError } from '../node-api.ts'
import { ApiErrorCode } from '../errors.ts'
import { MAX_BLOCKS_PER_REQUEST, blockIdParams, blockRangeQuery, entityQuery, hashParams, txBatchBody, txBody, unsignedTxBody } from '../schemas.ts'

const HEIGHT_PATTERN = /^[0-9]+$/

function found(block: BlockView | null, id: number | string): BlockView {
  if (block === null) throw new ApiError(404, ApiErrorCode.BlockNotFound, `no block ${id}`)
  return block
}

export function registerChainRoutes(app: FastifyInstance, node: NodeApi): void {
  // A static segment wins over a parameter in fastify's router, so this is never read as /:id.
  // Every route here takes ?entity=ID|NAME (the root when absent): the hosted entity it is about.
  app.get<{ Querystring: { entity?: string } }>('/blocks/head', { schema: { querystring: entityQuery } }, async (request) => {
    const { entity } = request.query
    const height = entity === undefined ? node.status().height : node.entity(entity).height
    return found(await node.block(height, entity), height)
  })

  app.get<{ Params: { id: string }; Querystring: { entity?: string } }>('/blocks/:id', { schema: { params: blockIdParams, querystring: entityQuery } }, async (request) => {
    const raw = request.params.id
    const id = HEIGHT_PATTERN.test(raw) && raw.length < 64 ? Number(raw) : raw.toLowerCase()
    return found(await node.block(id, request.query.entity), id)
  })

  app.get<{ Querystring: { from: number; to?: number; entity?: string } }>('/blocks', { schema: { querystring: blockRangeQuery } }, async (request) => {
    const { from } = request.query
    const to = Math.min(request.query.to ?? from + MAX_BLOCKS_PER_REQUEST - 1, from + MAX_BLOCKS_PER_REQUEST - 1)
    if (to < from) throw new ApiError(400, ApiErrorCode.BadRequest, `querystring/to must be >= from (${from})`)
    return { blocks: await node.blocks(from, to, request.query.entity) }
  })

  // 202: admitted to the mempool and gossiped, not yet committed; poll /transactions/:hash.
  app.post<{ Body: { tx: string } }>('/transactions', { schema: { body: txBody } }, async (request, reply) => {
    return reply.code(202).send(await node.submitTransaction(request.body.tx.toLowerCase()))
  })

  // 200 with one result per transaction, in order: a hash, or the error that refused it.
  app.post<{ Body: { txs: string[] } }>('/transactions/batch', { schema: { body: txBatchBody } }, async (request) => {
    return { results: await node.submitTransactions(request.body.txs.map((tx) => tx.toLowerCase())) }
  })

  // a signed transaction names its entity itself; an unsigned one names it in the body
  app.post<{ Body: { kind: string; payload: string; entity?: string } }>('/transactions/unsigned', { schema: { body: unsignedTxBody } }, async (request, reply) => {
    return reply.code(202).send(await node.submitUnsigned(request.body.kind, request.body.payload.toLowerCase(), request.body.entity))
  })

  // An unknown hash is a 200 with status 'unknown', not a 404: a client polling right after it
  // submitted elsewhere should not have to tell "not yet" from "no such route".
  app.get<{ Params: { hash: string }; Querystring: { entity?: string } }>('/transactions/:hash', { schema: { params: hashParams, querystring: entityQuery } }, async (request) => {
    return node.transactionStatus(request.params.hash.toLowerCase(), request.query.entity)
  })
}
