// Request/response over a libp2p protocol: one stream per request, one frame each way (see
// frames.ts). Both sides bound sizes before reading bodies and give up after a deadline, so a
// slow or hostile peer holds a stream for at most that long. The serving side also keeps a
// budget (serving-budget.ts): requests at once, per peer, response bytes held, and a per-peer
// rate; over it a request is answered NETWORK_BUSY at once.

import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { NetworkError, NetworkErrorCode, RequestRefused, isNetworkError } from './errors.ts'
import { FrameReader, STATUS_ERROR, STATUS_OK, encodeRequest, encodeResponse, encodeResponseHeader } from './frames.ts'
import type { Logger } from './logger.ts'
import { DEFAULT_SERVING_LIMITS, ServingBudget } from './serving-budget.ts'
import type { Refusal, ServingLimits } from './serving-budget.ts'

export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
/** A served request must arrive whole within this (requests are small). */
export const DEFAULT_READ_TIMEOUT_MS = 5_000
/** The handler must answer within this. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 10_000
/**
 * The answer must be written (read by the peer) within this: a requester gives up after
 * DEFAULT_REQUEST_TIMEOUT_MS anyway, and a peer that does not read holds the response's memory.
 */
export const DEFAULT_WRITE_TIMEOUT_MS = 10_000
/**
 * Concurrent inbound streams per connection for one protocol; libp2p resets the ones past it.
 * A syncing peer opens up to 5 (4 block windows and a status).
 */
export const DEFAULT_MAX_INBOUND_STREAMS = 8
export const DEFAULT_MAX_OUTBOUND_STREAMS = 16

export type RequestHandler = (request: Uint8Array, from: string) => Promise<Uint8Array>

export interface HandleOptions extends Partial<ServingLimits> {
  maxRequestBytes?: number
  /** Deadline of the handler (default DEFAULT_HANDLER_TIMEOUT_MS). */
  timeoutMs?: number
  readTimeoutMs?: number
  writeTimeoutMs?: number
  maxInboundStreams?: number
  /**
   * Called when a peer asks at a rate no honest peer reaches (a whole burst past its allowance
   * while being refused), at most once a second per peer. The node penalizes it.
   */
  onAbuse?: (peerId: string, reason: string) => void
}

export interface RequestOptions {
  timeoutMs?: number
  maxResponseBytes?: number
  signal?: AbortSignal
}

const encoder = new TextEncoder()
const BUSY = encoder.encode(NetworkErrorCode.Busy)

interface Deadlines {
  read: number
  handle: number
  write: number
}

/** Serves `protocol`; returns the protocol's serving budget (its usage is for metrics). */
export async function handle(
  libp2p: Libp2p,
  protocol: string,
  handler: RequestHandler,
  log: Logger,
  options: HandleOptions = {},
): Promise<ServingBudget> {
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
  const deadlines: Deadlines = {
    read: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
    handle: options.timeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
    write: options.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS,
  }
  const budget = new ServingBudget({
    maxServing: options.maxServing ?? DEFAULT_SERVING_LIMITS.maxServing,
    maxServingPerPeer: options.maxServingPerPeer ?? DEFAULT_SERVING_LIMITS.maxServingPerPeer,
    maxServingBytes: options.maxServingBytes ?? DEFAULT_SERVING_LIMITS.maxServingBytes,
    requestsPerSecond: options.requestsPerSecond ?? DEFAULT_SERVING_LIMITS.requestsPerSecond,
    requestBurst: options.requestBurst ?? DEFAULT_SERVING_LIMITS.requestBurst,
  })
  await libp2p.handle(
    protocol,
    ({ stream, connection }) => {
      const from = connection.remotePeer.toString()
      const { refused, abusive } = budget.admit(from)
      if (refused != null) {
        if (abusive) {
          log.debug({ protocol, from }, 'request rate abuse')
          options.onAbuse?.(from, `${protocol} requests past the rate limit`)
        }
        void refuse(stream, refused, deadlines.write).catch(() => {})
        return
      }
      void serve(stream, from, handler, maxRequestBytes, deadlines, budget)
        .catch((err: unknown) => {
          log.debug({ err, protocol, from }, 'request failed')
        })
        .finally(() => budget.release(from))
    },
    {
      maxInboundStreams: options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS,
      maxOutboundStreams: DEFAULT_MAX_OUTBOUND_STREAMS,
    },
  )
  return budget
}

/** Answers NETWORK_BUSY without reading the request; the remote reads it while it writes. */
async function refuse(stream: Stream, _why: Refusal, writeTimeoutMs: number): Promise<void> {
  await within(stream, writeTimeoutMs, async () => {
    await stream.sink([encodeResponse(STATUS_ERROR, BUSY)])
    await stream.close()
  })
}

/** Runs `work`, aborting the stream if it takes longer than `ms`. */
async function within<T>(stream: Stream, ms: number, work: () => Promise<T>): Promise<T> {
  const timer = setTimeout(() => stream.abort(new NetworkError(NetworkErrorCode.Timeout, `no progress within ${ms} ms`)), ms)
  try {
    return await work()
  } finally {
    clearTimeout(timer)
  }
}

async function serve(
  stream: Stream,
  from: string,
  handler: RequestHandler,
  maxRequestBytes: number,
  deadlines: Deadlines,
  budget: ServingBudget,
): Promise<void> {
  let body: Uint8Array
  let status = STATUS_OK
  let failure: unknown
  try {
    const request = await within(stream, deadlines.read, () => new FrameReader(stream).readRequest(maxRequestBytes))
    body = await within(stream, deadlines.handle, () => handler(request, from))
  } catch (err) {
    // The remote learns only an error code; our details stay in our log.
    failure = err
    status = STATUS_ERROR
    body = encoder.encode(isNetworkError(err) || err instanceof RequestRefused ? err.code : 'HANDLER_FAILED')
  }
  // the response is held until the peer reads it: it must fit in the byte budget
  let reserved = body.length
  if (!budget.reserveBytes(reserved)) {
    status = STATUS_ERROR
    body = BUSY
    reserved = 0
  }
  try {
    // header and body as two chunks: no copy of a large body
    await within(stream, deadlines.write, async () => {
      await stream.sink([encodeResponseHeader(status, body.length), body])
      await stream.close()
    })
  } finally {
    budget.releaseBytes(reserved)
  }
  // a refusal is an answer, not a failure of ours
  if (failure !== undefined && !(failure instanceof RequestRefused)) throw failure
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
    if (isNetworkError(err, NetworkErrorCode.RemoteError) && err.data.remote === NetworkErrorCode.Busy) {
      throw new NetworkError(NetworkErrorCode.Busy, `${peerId} is busy; ask another peer or later`, { protocol })
    }
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
