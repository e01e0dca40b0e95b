export { Network, BAN_CHECK_INTERVAL_MS, PEER_STORE_DIR, PRUNE_INTERVAL_MS } from './network.ts'
export { MAX_BANS, MAX_PENALTIES } from './bans.ts'
export type { NetworkEvents, NetworkOptions } from './network.ts'
export * from './config.ts'
export { isPublicIp, isPublicNode, resolveDhtAddresses } from './addresses.ts'
export * from './errors.ts'
export * from './protocols.ts'
export * from './scoring.ts'
export type { Logger, LogFn } from './logger.ts'
export { silentLogger } from './logger.ts'
export type { PeerInfo } from './peers.ts'
export type { Ban } from './bans.ts'
export type { Verdict, Validator, MessageHandler, VerdictEvent, SubscribeOptions, PendingValidations } from './gossip.ts'
export { DEFAULT_MAX_PENDING_VALIDATIONS, DEFAULT_MAX_PENDING_PER_PEER } from './gossip.ts'
export type { RequestHandler, HandleOptions, RequestOptions } from './request-response.ts'
export {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_READ_TIMEOUT_MS,
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_WRITE_TIMEOUT_MS,
  DEFAULT_MAX_INBOUND_STREAMS,
} from './request-response.ts'
export type { ServingLimits, ServingUsage } from './serving-budget.ts'
export {
  DEFAULT_MAX_SERVING,
  DEFAULT_MAX_SERVING_PER_PEER,
  DEFAULT_MAX_SERVING_BYTES,
  DEFAULT_REQUESTS_PER_SECOND,
  DEFAULT_REQUEST_BURST,
} from './serving-budget.ts'
export { NODE_KEY_FILE, loadOrCreateNodeKey } from './keys.ts'
export { AGENT_NAME, AGENT_VERSION, MAX_GOSSIP_MESSAGE_BYTES, messageId } from './libp2p.ts'
