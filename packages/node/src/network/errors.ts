// Errors of the network layer. Same shape as core's CoreError (a string code and structured
// data) so the node can treat both alike; tests assert `.code`.

export const NetworkErrorCode = {
  /** A config field is missing or out of range; `data.field` names it. */
  BadConfig: 'NETWORK_BAD_CONFIG',
  /** The node key file does not hold a key; `data.path` names it. */
  BadNodeKey: 'NETWORK_BAD_NODE_KEY',
  /** An outgoing request is larger than the caller's or the remote's limit. */
  RequestTooLarge: 'NETWORK_REQUEST_TOO_LARGE',
  /** A response announced more bytes than the caller accepts; the body was not read. */
  ResponseTooLarge: 'NETWORK_RESPONSE_TOO_LARGE',
  /** The remote's handler failed or refused the request (status byte other than OK). */
  RemoteError: 'NETWORK_REMOTE_ERROR',
  /** The stream ended before a whole frame arrived. */
  StreamClosed: 'NETWORK_STREAM_CLOSED',
  /** A request did not complete within its timeout. */
  Timeout: 'NETWORK_TIMEOUT',
  /** The peer is banned; dials to it are refused. */
  PeerBanned: 'NETWORK_PEER_BANNED',
  /** The remote is serving as much as it will (or this peer asks too fast): try later or elsewhere. */
  Busy: 'NETWORK_BUSY',
  /** The operation needs a started network. */
  NotStarted: 'NETWORK_NOT_STARTED',
} as const

export type NetworkErrorCode = (typeof NetworkErrorCode)[keyof typeof NetworkErrorCode]

export class NetworkError extends Error {
  override readonly name = 'NetworkError'
  readonly code: NetworkErrorCode
  readonly data: Record<string, unknown>

  constructor(code: NetworkErrorCode, message: string, data: Record<string, unknown> = {}) {
    super(`${code}: ${message}`)
    this.code = code
    this.data = data
  }
}

export function isNetworkError(err: unknown, code?: NetworkErrorCode): err is NetworkError {
  return err instanceof NetworkError && (code === undefined || err.code === code)
}

/**
 * A request a handler will not serve, with a code of its own protocol (sync's SYNC_PRUNED): the
 * remote receives the code, as it receives NETWORK_BUSY, and can tell "not here, ask elsewhere"
 * from a failure. Any other error a handler throws reaches the remote as HANDLER_FAILED.
 */
export class RequestRefused extends Error {
  override readonly name = 'RequestRefused'

  constructor(
    /** Upper-case letters, digits and underscores: it travels as the error body. */
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`)
    if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(code)) throw new RangeError(`not a refusal code: ${code}`)
  }
}
