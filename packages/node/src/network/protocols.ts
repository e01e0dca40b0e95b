// Every protocol id and topic name p2pnode speaks, in one place. The network name is part of
// each, so nodes of two networks on one machine never share a DHT, a topic or a sync stream.
// identify and ping keep their standard ids so plain libp2p peers can talk to a p2pnode.

export const PROTOCOL_ROOT = '/p2pnode'

export const GOSSIP_KINDS = ['txs', 'proposal', 'vote', 'commit'] as const
export type GossipKind = (typeof GOSSIP_KINDS)[number]

export const GOSSIP_VERSION = 1
export const SYNC_VERSION = 1
/** The sync protocol whose requests name the entity (sync/protocol.ts). */
export const ENTITY_SYNC_VERSION = 2
export const DHT_VERSION = '1.0.0'

/** Prefix shared by all of one network's protocols: `/p2pnode/<network>/`. */
export function networkPrefix(network: string): string {
  return `${PROTOCOL_ROOT}/${network}/`
}

/** kad-dht protocol id: `/p2pnode/<network>/kad/1.0.0`. */
export function dhtProtocol(network: string): string {
  return `${PROTOCOL_ROOT}/${network}/kad/${DHT_VERSION}`
}

/** Request/response sync protocol id: `/p2pnode/<network>/sync/1`. */
export function syncProtocol(network: string): string {
  return `${PROTOCOL_ROOT}/${network}/sync/${SYNC_VERSION}`
}

/**
 * Sync that names the entity asked about: `/p2pnode/<network>/sync/2`. Version 1 (no entity)
 * stays, and always means the network's root entity.
 */
export function entitySyncProtocol(network: string): string {
  return `${PROTOCOL_ROOT}/${network}/sync/${ENTITY_SYNC_VERSION}`
}

/** Gossip topic: `/p2pnode/<network>/<entity hex>/<kind>/1`. */
export function gossipTopic(network: string, entityHex: string, kind: GossipKind): string {
  if (!/^[0-9a-f]+$/.test(entityHex)) throw new TypeError(`entity must be lowercase hex, got ${entityHex}`)
  return `${PROTOCOL_ROOT}/${network}/${entityHex}/${kind}/${GOSSIP_VERSION}`
}

/** The topics of one entity, by kind. */
export function entityTopics(network: string, entityHex: string): Record<GossipKind, string> {
  const topics = {} as Record<GossipKind, string>
  for (const kind of GOSSIP_KINDS) topics[kind] = gossipTopic(network, entityHex, kind)
  return topics
}

/**
 * True when a peer's protocol list shows it runs p2pnode for another network: it speaks some
 * `/p2pnode/...` protocol and none under this network's prefix. A plain libp2p peer (no
 * p2pnode protocols at all) is not foreign; it may watch topics.
 */
export function isForeignNetwork(network: string, protocols: readonly string[]): boolean {
  const ours = networkPrefix(network)
  let p2pnode = false
  for (const protocol of protocols) {
    if (protocol.startsWith(ours)) return false
    if (protocol.startsWith(`${PROTOCOL_ROOT}/`)) p2pnode = true
  }
  return p2pnode
}
