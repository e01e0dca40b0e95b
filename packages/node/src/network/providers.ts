// Finding the nodes that host an entity: each announces itself as a DHT provider of a key derived
// from (network, entity id), and a node that joins the entity looks the providers up and dials
// them, so it finds the entity's nodes knowing only a bootstrap peer that does not host it.
// kad-dht keeps the records: it stores them on the peers closest to the key, and re-provides
// before they expire (48 h) for as long as the node runs; a node that stopped stops renewing.

import type { AbortOptions, ContentRouting, PeerId, PeerInfo, PeerStore } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { PROTOCOL_ROOT } from './protocols.ts'

/** The DHT key an entity's hosts provide: sha256 of `/p2pnode/<network>/entity/<id hex>`, as a raw CID. */
export async function entityProviderKey(network: string, entityHex: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(new TextEncoder().encode(`${PROTOCOL_ROOT}/${network}/entity/${entityHex}`)))
}

export interface ProvidersHost {
  peerId: PeerId
  contentRouting: Pick<ContentRouting, 'provide' | 'findProviders' | 'cancelReprovide'>
  peerStore: Pick<PeerStore, 'merge'>
  dial(peerId: PeerId, options?: AbortOptions): Promise<unknown>
  getPeers(): PeerId[]
}

export class EntityProviders {
  constructor(
    private readonly host: ProvidersHost,
    private readonly network: string,
    private readonly isBanned: (peerId: string) => boolean,
  ) {}

  /** Announces this node as a host of the entity; rejects when no DHT peer took the record. */
  async provide(entityHex: string, options: AbortOptions = {}): Promise<void> {
    await this.host.contentRouting.provide(await entityProviderKey(this.network, entityHex), options)
  }

  /** Stops renewing this node's record for the entity (it left it); the record expires. */
  async withdraw(entityHex: string): Promise<void> {
    await this.host.contentRouting.cancelReprovide(await entityProviderKey(this.network, entityHex))
  }

  /**
   * Up to `limit` hosts of the entity other than this node (banned ones left out), their
   * addresses added to the peer store for the dialer or a dial.
   */
  async find(entityHex: string, limit: number, options: AbortOptions = {}): Promise<PeerInfo[]> {
    const found: PeerInfo[] = []
    const self = this.host.peerId.toString()
    for await (const provider of this.host.contentRouting.findProviders(await entityProviderKey(this.network, entityHex), options)) {
      const id = provider.id.toString()
      if (id === self || this.isBanned(id) || found.some((p) => p.id.equals(provider.id))) continue
      if (provider.multiaddrs.length > 0) await this.host.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs })
      found.push(provider)
      if (found.length >= limit) break
    }
    return found
  }

  /** Dials those of `peers` not connected yet; resolves with how many connections were made. */
  async connect(peers: PeerInfo[], options: AbortOptions = {}): Promise<number> {
    const connected = new Set(this.host.getPeers().map((id) => id.toString()))
    const results = await Promise.allSettled(peers.filter((p) => !connected.has(p.id.toString())).map((p) => this.host.dial(p.id, options)))
    return results.filter((r) => r.status === 'fulfilled').length
  }
}
