// GET /events: the node's events as server-sent events, `event: <type>` and `data: <json>` per
// NodeEvent, with a comment line as heartbeat so proxies and clients can tell a quiet node from a
// dead connection. Streams are capped in number, and a client that stops reading is dropped
// rather than buffered without end. Stopping the server ends every stream first, so close()
// never waits on them.

import type { ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { NodeApi, NodeEvent } from '../node-api.ts'
import { ApiErrorCode, sendError } from '../errors.ts'

export const DEFAULT_HEARTBEAT_MS = 15_000
export const MAX_EVENT_STREAMS = 64
/** Unsent bytes a stream may hold before its client counts as stalled and is dropped. */
export const MAX_STREAM_BACKLOG_BYTES = 1024 * 1024

export interface EventRoutesInit {
  node: NodeApi
  logger: Logger
  heartbeatMs?: number
  maxStreams?: number
}

export function encodeEvent(event: NodeEvent): string {
  // JSON.stringify never emits a raw newline, so one data line always suffices.
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`
}

export function registerEventRoutes(app: FastifyInstance, init: EventRoutesInit): void {
  const heartbeatMs = init.heartbeatMs ?? DEFAULT_HEARTBEAT_MS
  const maxStreams = init.maxStreams ?? MAX_EVENT_STREAMS
  const open = new Set<() => void>()

  app.addHook('preClose', async () => {
    for (const end of [...open]) end()
  })

  app.get('/events', async (request, reply) => {
    if (open.size >= maxStreams) {
      return sendError(reply, 503, ApiErrorCode.TooManyStreams, `at most ${maxStreams} event streams`)
    }
    reply.hijack()
    const res: ServerResponse = reply.raw
    let ended = false

    const write = (chunk: string): void => {
      if (ended) return
      if (res.writableLength > MAX_STREAM_BACKLOG_BYTES) {
        init.logger.warn({ remote: request.ip }, 'event stream stalled, dropping it')
        end()
        return
      }
      res.write(chunk)
    }
    const onEvent = (event: NodeEvent): void => write(encodeEvent(event))
    const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs)
    heartbeat.unref()

    function end(): void {
      if (ended) return
      ended = true
      clearInterval(heartbeat)
      init.node.events.off('event', onEvent)
      open.delete(end)
      if (!res.writableEnded) res.end()
    }

    // Subscribe before the headers go out: a client that saw the response has every event after it.
    init.node.events.on('event', onEvent)
    open.add(end)
    request.raw.socket.once('close', end)
    res.once('close', end)
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.write(': connected\n\n')
  })
}
