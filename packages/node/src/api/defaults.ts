// The API's defaults, apart from the server so that reading a config (config.ts, which the CLI's
// `status` does) does not load the HTTP server and its framework.

export const DEFAULT_API_HOST = '127.0.0.1'
/** P2P on 7400 (network/config.ts), the API beside it, metrics on 7402 (metrics/server.ts). */
export const DEFAULT_API_PORT = 7401
/** Room for a batch submission of a few thousand ordinary transactions. */
export const DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
export const DEFAULT_REQUESTS_PER_SECOND = 1000
