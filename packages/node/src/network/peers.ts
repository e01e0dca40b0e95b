// What the node tells an operator about each connected peer. Identify's agent string and the
// first measured round trip are cached per peer (both arrive as events), so peers() is sync.
// The agent string is the remote's to choose: it is stored sanitized (see sanitizeAgent), so no
// API reader, terminal or log gets escape sequences from a peer.

import type { Connection } from '@libp2p/interface'

export interface PeerInfo {
  peerId: string
  /** Remote address of the peer's oldest open connection. */
  addr: string
  direction: 'inbound' | 'outbound'
  /** When that connection opened (ms since the epoch). */
  connectedSince: number
  /** Round trip from ping; undefined until measured. */
  latencyMs: number | undefined
  /** Identify's agent version, sanitized (no control characters, at most 128); undefined until identify has run. */
  agent: string | undefined
  /** Gossipsub score: negative after rejected messages, banned below the graylist threshold. */
  score: number
}

/** Longest agent string kept (longer ones are cut and end in '…'). */
export const MAX_AGENT_LENGTH = 128

// ESC followed by a CSI (ESC [ ... final byte), an OSC/DCS/PM/APC/SOS string (up to BEL or
// ESC \), or a single character; then any other C0/C1 control character, DEL, and the Unicode
// bidi and line/paragraph separators that reorder or break what a terminal shows.
const ESCAPE_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[\s\S]?)/g
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g
/** Half of a surrogate pair (the first cut can split one). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g

/**
 * A remote peer's identify agent as the node keeps it: escape sequences and control characters
 * removed, at most MAX_AGENT_LENGTH characters. Undefined stays undefined.
 */
export function sanitizeAgent(agent: string | undefined): string | undefined {
  if (agent == null) return undefined
  // cut first (bounded work on a long string), then clean, then cut to the final length
  const clean = agent.slice(0, MAX_AGENT_LENGTH * 4).replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '').replace(LONE_SURROGATE, '')
  const chars = [...clean]
  return chars.length <= MAX_AGENT_LENGTH ? clean : `${chars.slice(0, MAX_AGENT_LENGTH - 1).join('')}…`
}

interface Known {
  agent?: string
}

export class PeerBook {
  private readonly known = new Map<string, Known>()

  /** Keeps the peer's identify agent, sanitized (see sanitizeAgent). */
  setAgent(peerId: string, agent: string | undefined): void {
    const clean = sanitizeAgent(agent)
    if (clean === undefined) delete this.entry(peerId).agent
    else this.entry(peerId).agent = clean
  }

  forget(peerId: string): void {
    this.known.delete(peerId)
  }

  /** One row per peer, from its oldest open connection. */
  list(connections: Connection[], score: (peerId: string) => number): PeerInfo[] {
    const oldest = new Map<string, Connection>()
    for (const conn of connections) {
      if (conn.status !== 'open') continue
      const id = conn.remotePeer.toString()
      const seen = oldest.get(id)
      if (seen == null || conn.timeline.open < seen.timeline.open) oldest.set(id, conn)
    }
    const rows: PeerInfo[] = []
    for (const [peerId, conn] of oldest) {
      const known = this.known.get(peerId)
      rows.push({
        peerId,
        addr: conn.remoteAddr.toString(),
        direction: conn.direction,
        connectedSince: conn.timeline.open,
        // the connection monitor measures conn.rtt every PING_INTERVAL_MS; none before its first ping
        latencyMs: conn.rtt,
        agent: known?.agent,
        score: score(peerId),
      })
    }
    return rows.sort((a, b) => a.connectedSince - b.connectedSince)
  }

  private entry(peerId: string): Known {
    let known = this.known.get(peerId)
    if (known == null) {
      known = {}
      this.known.set(peerId, known)
    }
    return known
  }
}
