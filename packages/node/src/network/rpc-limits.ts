// Bounds on one gossipsub RPC from a peer, checked before it is decoded.
//
// @chainsafe/libp2p-gossipsub 14.1.2 decodes every RPC with no limit by default (the subscription
// flood of CVE-2026-46679), and even with `decodeRpcLimits` set it applies only two of them: it
// passes the control limits under a key (`control$`) its own codec never reads, so IHAVE, IWANT,
// GRAFT, PRUNE and IDONTWANT lists stay unbounded. One 10 MiB RPC of empty IHAVE ids decodes
// into about 5 million objects: about 1 GB of heap and 7 s of CPU (measured on the dev box).
// guarded-gossipsub.ts therefore decodes with `rpcDecodeOptions` (the same limits under the keys
// the codec reads) after `scanRpc` has counted the RPC's elements without allocating anything.
//
// The values are a little above what an honest gossipsub (js or go) sends, so an RPC over them
// is hostile, not unlucky.

import type { GossipsubOpts } from '@chainsafe/libp2p-gossipsub'

/** gossipsub's own type for these limits (its module is not exported on its own). */
export type DecodeRPCLimits = NonNullable<GossipsubOpts['decodeRpcLimits']>

/**
 * Subscriptions in one RPC. A peer sends all of its subscriptions in one RPC when a stream
 * opens: 4 topics per entity, so this lets a peer host up to 1,024 entities.
 */
export const MAX_SUBSCRIPTIONS_PER_RPC = 4096
/** Messages in one RPC: the most an honest IWANT answer carries (as many as an IHAVE may list). */
export const MAX_MESSAGES_PER_RPC = 5000
/** Message ids in one IHAVE or IWANT entry: gossipsub's (js and go) GossipsubMaxIHaveLength. */
export const MAX_IHAVE_IWANT_IDS = 5000
/** Message ids in one IDONTWANT entry: gossipsub's idontwantMaxMessages per heartbeat. */
export const MAX_IDONTWANT_IDS = 512
/** Entries of each control kind (IHAVE, IWANT, GRAFT, PRUNE, IDONTWANT): one per topic. */
export const MAX_CONTROL_ENTRIES = MAX_SUBSCRIPTIONS_PER_RPC
/** Peers in a PRUNE's peer exchange: gossipsub's GossipsubPrunePeers (PX is off here anyway). */
export const MAX_PRUNE_PEERS = 16
/**
 * All repeated elements of one RPC together (subscriptions, messages, control entries, ids,
 * peers). The per-field limits alone allow 4,096 IHAVEs of 5,000 ids; this caps the product.
 * An honest RPC holds far fewer (its subscriptions, or one heartbeat's gossip, or one IWANT
 * answer); decoding 20,000 elements costs a few MB and a few ms.
 */
export const MAX_RPC_ELEMENTS = 20_000

/** The limits, in gossipsub's option shape (also passed to gossipsub, all finite). */
export const RPC_LIMITS: DecodeRPCLimits = {
  maxSubscriptions: MAX_SUBSCRIPTIONS_PER_RPC,
  maxMessages: MAX_MESSAGES_PER_RPC,
  maxIhaveMessageIDs: MAX_IHAVE_IWANT_IDS,
  maxIwantMessageIDs: MAX_IHAVE_IWANT_IDS,
  maxIdontwantMessageIDs: MAX_IDONTWANT_IDS,
  maxControlMessages: MAX_CONTROL_ENTRIES,
  maxPeerInfos: MAX_PRUNE_PEERS,
}

/** The limits in the shape the RPC codec (protons) reads: `control`, not `control$`. */
export function rpcDecodeOptions(limits: DecodeRPCLimits = RPC_LIMITS) {
  const entries = limits.maxControlMessages
  return {
    limits: {
      subscriptions: limits.maxSubscriptions,
      messages: limits.maxMessages,
      control: {
        ihave: entries,
        ihave$: { messageIDs: limits.maxIhaveMessageIDs },
        iwant: entries,
        iwant$: { messageIDs: limits.maxIwantMessageIDs },
        graft: entries,
        prune: entries,
        prune$: { peers: limits.maxPeerInfos },
        idontwant: entries,
        idontwant$: { messageIDs: limits.maxIdontwantMessageIDs },
      },
    },
  }
}

// Protobuf field numbers of the gossipsub RPC (rpc.proto) whose elements are counted.
const RPC_SUBSCRIPTIONS = 1
const RPC_MESSAGES = 2
const RPC_CONTROL = 3
/** ControlMessage field -> the field of that entry whose repeats are counted too (0: none). */
const CONTROL_CHILD_LIST: Record<number, number> = {
  1: 2, // ihave: messageIDs
  2: 1, // iwant: messageIDs
  3: 0, // graft
  4: 2, // prune: peers
  5: 1, // idontwant: messageIDs
}

const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_BYTES = 2
const WIRE_FIXED32 = 5

/**
 * Counts the repeated elements of an encoded RPC without decoding it (no allocation), stopping
 * as soon as the count passes `max`. Returns the count, or undefined when the bytes are not a
 * well-formed protobuf message or the count passes `max`.
 */
export function scanRpc(bytes: Uint8Array, max: number = MAX_RPC_ELEMENTS): number | undefined {
  const scanner = new Scanner(bytes, max)
  return scanner.rpc() ? scanner.count : undefined
}

class Scanner {
  count = 0
  private pos = 0

  constructor(
    private readonly bytes: Uint8Array,
    private readonly max: number,
  ) {}

  rpc(): boolean {
    return this.fields(0, this.bytes.length, (field, start, end) => {
      if (field === RPC_SUBSCRIPTIONS || field === RPC_MESSAGES) return this.add(1)
      if (field === RPC_CONTROL) return this.control(start, end)
      return true
    })
  }

  private control(start: number, end: number): boolean {
    return this.fields(start, end, (field, childStart, childEnd) => {
      const list = CONTROL_CHILD_LIST[field]
      if (list === undefined) return true
      if (!this.add(1)) return false
      if (list === 0) return true
      return this.fields(childStart, childEnd, (inner) => (inner === list ? this.add(1) : true))
    })
  }

  private add(n: number): boolean {
    this.count += n
    return this.count <= this.max
  }

  /**
   * Walks the fields in [start, end); calls `onBytes` for every length-delimited one with its
   * body's range. False when malformed or when `onBytes` says stop.
   */
  private fields(start: number, end: number, onBytes: (field: number, start: number, end: number) => boolean): boolean {
    this.pos = start
    while (this.pos < end) {
      const tag = this.varint(end)
      if (tag === undefined) return false
      const field = Math.floor(tag / 8)
      const wire = tag % 8
      if (field === 0) return false
      if (wire === WIRE_VARINT) {
        if (this.varint(end) === undefined) return false
      } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
        this.pos += wire === WIRE_FIXED64 ? 8 : 4
        if (this.pos > end) return false
      } else if (wire === WIRE_BYTES) {
        const length = this.varint(end)
        if (length === undefined || length > end - this.pos) return false
        const bodyStart = this.pos
        const bodyEnd = bodyStart + length
        if (!onBytes(field, bodyStart, bodyEnd)) return false
        this.pos = bodyEnd
      } else {
        return false // groups (3, 4) are not used by gossipsub; 6 and 7 do not exist
      }
    }
    return this.pos === end
  }

  /** A varint (at most 10 bytes); undefined if cut short. Large values lose precision, which
   * only matters for lengths, and those are compared with what is left. */
  private varint(end: number): number | undefined {
    let value = 0
    let factor = 1
    for (let i = 0; i < 10; i++) {
      if (this.pos >= end) return undefined
      const byte = this.bytes[this.pos++]!
      value += (byte & 0x7f) * factor
      if (byte < 0x80) return value
      factor *= 128
    }
    return undefined
  }
}
