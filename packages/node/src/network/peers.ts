// What the node tells an operator about each connected peer. Identify's agent string and the
// first measured round trip are cached per peer (both arrive as events), so peers() is sync.

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
  /** Identify's agent version; undefined until identify has run. */
  agent: string | undefined
  /** Gossipsub score: negative after rejected messages, banned below the graylist threshold. */
  score: number
}

interface Known {
  agent?: string
  latencyMs?: number
}

export class PeerBook {
  private readonly known = new Map<string, Known>()

  setAgent(peerId: string, agent: string | undefined): void {
    this.entry(peerId).agent = agent
  }

  setLatency(peerId: string, latencyMs: number): void {
    this.entry(peerId).latencyMs = latencyMs
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
        // the connection monitor refreshes conn.rtt every PING_INTERVAL_MS; our first ping fills the gap
        latencyMs: conn.rtt ?? known?.latencyMs,
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
