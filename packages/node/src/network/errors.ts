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
