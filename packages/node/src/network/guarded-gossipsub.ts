// Gossipsub with a topic allow-list and a price on abuse: @chainsafe/libp2p-gossipsub 14.1.2
// plus what CVE-2026-46679 (remote subscription flood) needs and that version lacks.
//
// - gossipsub tracks the topics only of the allow-list (its `allowedTopics`), and the allow-list
//   is exactly the topics this node subscribes to. gossipsub copies the option into a private
//   Set at construction; this class takes that very Set (read once, see `internals`) and adds a
//   topic in `subscribe` before gossipsub announces it, and deletes it in `unsubscribe`. One Set,
//   so the two never disagree.
// - Every RPC is counted (rpc-limits.ts: `scanRpc`) and decoded with limits that actually apply
//   (14.1.2 passes its control limits under a key its codec ignores), in a read loop that knows
//   the peer, so a malformed or oversized RPC is charged to its sender.
// - Subscriptions and messages for topics outside the allow-list are dropped before gossipsub
//   sees them. A topic outside this network's prefix (`/p2pnode/<network>/`) is charged to the
//   peer. A topic under the prefix that this node does not host is what an honest peer hosting
//   another entity subscribes to: it is not charged; up to MAX_UNHOSTED_TOPICS_PER_PEER of them are
//   remembered per peer and handed to gossipsub if this node later subscribes to the topic (a
//   peer announces its subscriptions once, when its stream opens).
//
// Charges go to `onAbuse(peerId, reason, points)`; the network adds them to the peer's penalty
// points (P5 of its score), which ban it past 400 (see scoring.ts).

import { GossipSub } from '@chainsafe/libp2p-gossipsub'
import type { GossipSubComponents, GossipsubOpts } from '@chainsafe/libp2p-gossipsub'
import { RPC } from '@chainsafe/libp2p-gossipsub/message'
import type { PeerId } from '@libp2p/interface'
import { networkPrefix } from './protocols.ts'
import { RPC_LIMITS, rpcDecodeOptions, scanRpc } from './rpc-limits.ts'
import { DEFAULT_PENALTY } from './scoring.ts'

/** Points for an RPC that is not protobuf, or breaks the limits of rpc-limits.ts. */
export const MALFORMED_RPC_PENALTY = DEFAULT_PENALTY
/**
 * Points for an RPC naming any topic outside this network's prefix (once per RPC, however many):
 * one such RPC per second reaches the ban (400) in about 45 s, a burst in 40 RPCs.
 */
export const FOREIGN_TOPIC_PENALTY = 10
/** Points for an RPC whose unhosted topics do not fit in the peer's memory (see below). */
export const UNHOSTED_OVERFLOW_PENALTY = 1
/** Longer topic names are not this network's (ours are about 150 characters). */
export const MAX_TOPIC_LENGTH = 256
/** Topics under this network's prefix that this node does not host, remembered per peer. */
export const MAX_UNHOSTED_TOPICS_PER_PEER = 256

export type GossipAbuse = (peerId: string, reason: string, points: number) => void

export interface GossipGuard {
  /** The network name: topics outside `/p2pnode/<network>/` are foreign. */
  network: string
  onAbuse: GossipAbuse
}

/** The gossipsub members this class relies on that 14.1.2 keeps private (checked at start). */
interface Internals {
  allowedTopics: Set<string> | null
  pipePeerReadStream: (peerId: PeerId, source: AsyncIterable<{ subarray(): Uint8Array }>) => Promise<void>
  handlePeerReadStreamError: (err: unknown, peerId: PeerId) => void
}

interface Unhosted {
  peer: PeerId
  topics: Set<string>
}

const DECODE_OPTIONS = rpcDecodeOptions(RPC_LIMITS)

export class GuardedGossipSub extends GossipSub {
  private readonly hosted: Set<string>
  private readonly prefix: string
  private readonly onAbuse: GossipAbuse
  private readonly unhosted = new Map<string, Unhosted>()

  constructor(components: GossipSubComponents, init: Partial<GossipsubOpts>, guard: GossipGuard) {
    super(components, { ...init, allowedTopics: [], decodeRpcLimits: RPC_LIMITS })
    const internals = this as unknown as Internals
    if (
      !(internals.allowedTopics instanceof Set) ||
      typeof internals.pipePeerReadStream !== 'function' ||
      typeof internals.handlePeerReadStreamError !== 'function'
    ) {
      // only a gossipsub upgrade gets here; without these the node would be open to the flood
      throw new Error('gossipsub internals changed: re-check guarded-gossipsub.ts against the new version')
    }
    this.hosted = internals.allowedTopics
    this.prefix = networkPrefix(guard.network)
    this.onAbuse = guard.onAbuse
    internals.pipePeerReadStream = (peerId, source) => this.readRpcs(peerId, source, internals)
    this.addEventListener('gossipsub:heartbeat', () => this.forgetGonePeers())
  }

  /** Topics this node hosts: the allow-list gossipsub checks. */
  hostedTopics(): string[] {
    return [...this.hosted]
  }

  /** How many unhosted topics of `peerId` are remembered (for tests and metrics). */
  unhostedTopics(peerId: string): number {
    return this.unhosted.get(peerId)?.topics.size ?? 0
  }

  override subscribe(topic: string): void {
    const added = !this.hosted.has(topic)
    this.hosted.add(topic)
    try {
      super.subscribe(topic)
    } catch (err) {
      if (added) this.hosted.delete(topic)
      throw err
    }
    // peers that announced the topic before we hosted it: tell gossipsub now
    for (const entry of this.unhosted.values()) {
      if (!entry.topics.delete(topic)) continue
      void super.handleReceivedRpc(entry.peer, { subscriptions: [{ topic, subscribe: true }], messages: [] }).catch(() => {})
    }
  }

  override unsubscribe(topic: string): void {
    super.unsubscribe(topic)
    if (!this.hosted.has(topic)) return
    // Its subscribers go back to the per-peer memory (so a later subscribe finds them again),
    // and out of gossipsub's topic map while the topic is still allowed.
    for (const peer of this.getSubscribers(topic)) {
      this.remember(peer, topic, true)
      void super.handleReceivedRpc(peer, { subscriptions: [{ topic, subscribe: false }], messages: [] }).catch(() => {})
    }
    this.hosted.delete(topic)
  }

  /** Drops what is not on the allow-list before gossipsub sees it, and charges the sender. */
  override async handleReceivedRpc(from: PeerId, rpc: RPC): Promise<void> {
    this.screen(from, rpc)
    return super.handleReceivedRpc(from, rpc)
  }

  private screen(from: PeerId, rpc: RPC): void {
    let foreign = 0
    let overflow = 0
    if (rpc.subscriptions.length > 0) {
      rpc.subscriptions = rpc.subscriptions.filter(({ topic, subscribe }) => {
        if (topic == null) return false
        if (this.hosted.has(topic)) return true
        if (!this.isOurs(topic)) foreign++
        else if (!this.remember(from, topic, subscribe === true)) overflow++
        return false
      })
    }
    if (rpc.messages.length > 0) {
      rpc.messages = rpc.messages.filter(({ topic }) => {
        if (this.hosted.has(topic)) return true
        // a message for a topic of ours we do not host: a race with an unsubscribe, not abuse
        if (!this.isOurs(topic)) foreign++
        return false
      })
    }
    const id = from.toString()
    if (foreign > 0) this.onAbuse(id, `gossip for ${foreign} topics outside ${this.prefix}`, FOREIGN_TOPIC_PENALTY)
    else if (overflow > 0) this.onAbuse(id, `over ${MAX_UNHOSTED_TOPICS_PER_PEER} unhosted topics`, UNHOSTED_OVERFLOW_PENALTY)
  }

  private isOurs(topic: string): boolean {
    return topic.length <= MAX_TOPIC_LENGTH && topic.startsWith(this.prefix)
  }

  /** Notes a peer's (un)subscription to an unhosted topic; false when its memory is full. */
  private remember(peer: PeerId, topic: string, subscribe: boolean): boolean {
    const id = peer.toString()
    let entry = this.unhosted.get(id)
    if (!subscribe) {
      entry?.topics.delete(topic)
      if (entry?.topics.size === 0) this.unhosted.delete(id)
      return true
    }
    if (entry == null) {
      entry = { peer, topics: new Set() }
      this.unhosted.set(id, entry)
    }
    if (entry.topics.has(topic)) return true
    if (entry.topics.size >= MAX_UNHOSTED_TOPICS_PER_PEER) return false
    entry.topics.add(topic)
    return true
  }

  /** Once a heartbeat: a peer gossipsub no longer knows leaves no memory behind. */
  private forgetGonePeers(): void {
    if (this.unhosted.size === 0) return
    const live = new Set(this.getPeers().map((peer) => peer.toString()))
    for (const id of this.unhosted.keys()) if (!live.has(id)) this.unhosted.delete(id)
  }

  /**
   * gossipsub's read loop (`pipePeerReadStream`), with the element count before decoding, limits
   * that apply, and every refusal charged to the peer that sent it.
   */
  private async readRpcs(peerId: PeerId, source: AsyncIterable<{ subarray(): Uint8Array }>, internals: Internals): Promise<void> {
    const id = peerId.toString()
    try {
      for await (const data of source) {
        const bytes = data.subarray()
        let rpc: RPC
        try {
          if (scanRpc(bytes) === undefined) throw new RangeError('malformed, or over the element limit')
          rpc = RPC.decode(bytes, DECODE_OPTIONS)
        } catch (err) {
          this.log('refused an RPC from %s: %s', id, (err as Error).message)
          this.onAbuse(id, `gossip RPC refused: ${(err as Error).message}`, MALFORMED_RPC_PENALTY)
          continue
        }
        // not awaited, as in gossipsub: one RPC's validation does not hold up the next
        this.handleReceivedRpc(peerId, rpc).catch((err: unknown) => this.log('RPC from %s failed: %s', id, err))
      }
    } catch (err) {
      internals.handlePeerReadStreamError(err, peerId)
    }
  }
}

/** A libp2p service factory, like gossipsub()'s, for the guarded class. */
export function guardedGossipsub(init: Partial<GossipsubOpts>, guard: GossipGuard): (components: GossipSubComponents) => GuardedGossipSub {
  return (components) => new GuardedGossipSub(components, init, guard)
}
