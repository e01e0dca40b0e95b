// Blocks and transactions.

import type { FastifyInstance } from 'fastify'
import type { BlockView, NodeApi } from '../node-api.ts'
import { ApiError } from '../node-api.ts'
import { ApiErrorCode } from '../errors.ts'
import { MAX_BLOCKS_PER_REQUEST, blockIdParams, blockRangeQuery, hashParams, txBatchBody, txBody, unsignedTxBody } from '../schemas.ts'

const HEIGHT_PATTERN = /^[0-9]+$/

function found(block: BlockView | null, id: number | string): BlockView {
  if (block === null) throw new ApiError(404, ApiErrorCode.BlockNotFound, `no block ${id}`)
  return block
}

export function registerChainRoutes(app: FastifyInstance, node: NodeApi): void {
  // A static segment wins over a parameter in fastify's router, so this is never read as /:id.
  app.get('/blocks/head', async () => {
    const { height } = node.status()
    return found(await node.block(height), height)
  })

  app.get<{ Params: { id: string } }>('/blocks/:id', { schema: { params: blockIdParams } }, async (request) => {
    const raw = request.params.id
    const id = HEIGHT_PATTERN.test(raw) && raw.length < 64 ? Number(raw) : raw.toLowerCase()
    return found(await node.block(id), id)
  })

  app.get<{ Querystring: { from: number; to?: number } }>('/blocks', { schema: { querystring: blockRangeQuery } }, async (request) => {
    const { from } = request.query
    const to = Math.min(request.query.to ?? from + MAX_BLOCKS_PER_REQUEST - 1, from + MAX_BLOCKS_PER_REQUEST - 1)
    if (to < from) throw new ApiError(400, ApiErrorCode.BadRequest, `querystring/to must be >= from (${from})`)
    return { blocks: await node.blocks(from, to) }
  })

  // 202: admitted to the mempool and gossiped, not yet committed; poll /transactions/:hash.
  app.post<{ Body: { tx: string } }>('/transactions', { schema: { body: txBody } }, async (request, reply) => {
    return reply.code(202).send(await node.submitTransaction(request.body.tx.toLowerCase()))
  })

  // 200 with one result per transaction, in order: a hash, or the error that refused it.
  app.post<{ Body: { txs: string[] } }>('/transactions/batch', { schema: { body: txBatchBody } }, async (request) => {
    return { results: await node.submitTransactions(request.body.txs.map((tx) => tx.toLowerCase())) }
  })

  app.post<{ Body: { kind: string; payload: string } }>('/transactions/unsigned', { schema: { body: unsignedTxBody } }, async (request, reply) => {
    return reply.code(202).send(await node.submitUnsigned(request.body.kind, request.body.payload.toLowerCase()))
  })

  // An unknown hash is a 200 with status 'unknown', not a 404: a client polling right after it
  // submitted elsewhere should not have to tell "not yet" from "no such route".
  app.get<{ Params: { hash: string } }>('/transactions/:hash', { schema: { params: hashParams } }, async (request) => {
    return node.transactionStatus(request.params.hash.toLowerCase())
  })
}
