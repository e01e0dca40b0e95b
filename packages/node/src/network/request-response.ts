// Request/response over a libp2p protocol: one stream per request, one frame each way (see
// frames.ts). Both sides bound sizes before reading bodies and give up after a deadline, so a
// slow or hostile peer holds a stream for at most that long.

import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { NetworkError, NetworkErrorCode, isNetworkError } from './errors.ts'
import { FrameReader, STATUS_ERROR, STATUS_OK, encodeRequest, encodeResponse } from './frames.ts'
import type { Logger } from './logger.ts'

export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
/** A served request (read, handle, write) must finish within this. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000
/** Concurrent inbound streams per connection for one protocol. */
export const DEFAULT_MAX_INBOUND_STREAMS = 16
export const DEFAULT_MAX_OUTBOUND_STREAMS = 16

export type RequestHandler = (request: Uint8Array, from: string) => Promise<Uint8Array>

export interface HandleOptions {
  maxRequestBytes?: number
  timeoutMs?: number
  maxInboundStreams?: number
}

export interface RequestOptions {
  timeoutMs?: number
  maxResponseBytes?: number
  signal?: AbortSignal
}

const encoder = new TextEncoder()

export async function handle(
  libp2p: Libp2p,
  protocol: string,
  handler: RequestHandler,
  log: Logger,
  options: HandleOptions = {},
): Promise<void> {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
  const timeoutMs = options.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS
  await libp2p.handle(
    protocol,
    ({ stream, connection }) => {
      const from = connection.remotePeer.toString()
      void serve(stream, from, handler, maxRequestBytes, timeoutMs).catch((err: unknown) => {
        log.debug({ err, protocol, from }, 'request failed')
      })
    },
    {
      maxInboundStreams: options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS,
      maxOutboundStreams: DEFAULT_MAX_OUTBOUND_STREAMS,
    },
  )
}

async function serve(
  stream: Stream,
  from: string,
  handler: RequestHandler,
  maxRequestBytes: number,
  timeoutMs: number,
): Promise<void> {
  const timer = setTimeout(() => stream.abort(new NetworkError(NetworkErrorCode.Timeout, 'request handling timed out')), timeoutMs)
  try {
    let response: Uint8Array
    try {
      const request = await new FrameReader(stream).readRequest(maxRequestBytes)
      response = encodeResponse(STATUS_OK, await handler(request, from))
    } catch (err) {
      // The remote learns only an error code; our details stay in our log.
      const code = isNetworkError(err) ? err.code : 'HANDLER_FAILED'
      response = encodeResponse(STATUS_ERROR, encoder.encode(code))
      await stream.sink([response])
      await stream.close()
      throw err
    }
    await stream.sink([response])
    await stream.close()
  } finally {
    clearTimeout(timer)
  }
}

export async function request(
  libp2p: Libp2p,
  peer: string | PeerId,
  protocol: string,
  data: Uint8Array,
  options: RequestOptions = {},
): Promise<Uint8Array> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  const timeout = AbortSignal.timeout(timeoutMs)
  const signal = options.signal == null ? timeout : AbortSignal.any([timeout, options.signal])
  const peerId = typeof peer === 'string' ? peerIdFromString(peer) : peer
  let stream: Stream | undefined
  const onAbort = (): void => stream?.abort(new NetworkError(NetworkErrorCode.Timeout, `no response within ${timeoutMs} ms`))
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    stream = await libp2p.dialProtocol(peerId, protocol, { signal })
    // Send and read at once: a remote that refuses an oversized request answers before it has
    // read our body, and its answer is what the caller should see.
    const sending = stream.sink([encodeRequest(data)]).catch(() => {})
    const response = await new FrameReader(stream).readResponse(maxResponseBytes)
    await sending
    await stream.close().catch(() => {})
    return response
  } catch (err) {
    stream?.abort(err instanceof Error ? err : new Error(String(err)))
    if (timeout.aborted) {
      throw new NetworkError(NetworkErrorCode.Timeout, `no response from ${peerId} within ${timeoutMs} ms`, { protocol })
    }
    if (isNetworkError(err, NetworkErrorCode.RemoteError) && err.data.remote === NetworkErrorCode.RequestTooLarge) {
      throw new NetworkError(NetworkErrorCode.RequestTooLarge, `${peerId} refused a request of ${data.length} bytes`, { protocol })
    }
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
