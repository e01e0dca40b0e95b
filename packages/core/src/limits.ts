// Size limits on everything that is decoded from outside. Checked before decoding.

export const MAX_NETWORK_NAME = 64
export const MAX_TX_BYTES = 16 * 1024
export const MAX_TX_PAYLOAD = 8 * 1024
export const MAX_KV_KEY = 256
export const MAX_KV_VALUE = 4 * 1024
export const MAX_BLOCK_BYTES = 8 * 1024 * 1024
export const MAX_BLOCK_TXS = 20_000
export const MAX_VOTE_BYTES = 512
export const MAX_COMMIT_BYTES = 4 * 1024
export const MAX_VALIDATORS = 1024
export const MAX_SERVER_INPUT_BYTES = 16 * 1024 * 1024
export const MAX_FRAME_BYTES = 64 * 1024 * 1024
