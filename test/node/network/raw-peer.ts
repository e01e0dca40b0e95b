// A hostile peer built from the libraries (TCP, Noise, Yamux, identify; no gossipsub, no
// p2pnode code) that writes whatever bytes a test gives it on a protocol stream: raw gossipsub
// RPC frames, or sync requests it never reads the answers to.

// Node 20 lacks Promise.withResolvers, which libp2p 2.x calls: a runtime shim, not protocol code.
import '../../../packages/node/src/polyfill.ts'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { RPC } from '@chainsafe/libp2p-gossipsub/message'
import { identify } from '@libp2p/identify'
import type { Stream } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Libp2p } from 'libp2p'

/** The gossipsub protocol id the raw peer speaks (and answers, so the victim's outbound stream opens). */
export const MESHSUB = '/meshsub/1.1.0'

/** One gossipsub RPC as it goes on the wire: unsigned-varint length, protobuf body. */
export function rpcFrame(rpc: Partial<RPC>): Uint8Array {
  const body = RPC.encode({ subscriptions: [], messages: [], ...rpc })
  return lengthPrefixed(body)
}

export function lengthPrefixed(body: Uint8Array): Uint8Array {
  return concat([varint(body.length), body])
}

/** Protobuf's unsigned varint (also it-length-prefixed's length). */
export function varint(value: number): Uint8Array {
  const out: number[] = []
  let n = value
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Uint8Array.from(out)
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export class RawPeer {
  private constructor(readonly libp2p: Libp2p) {}

  static async start(): Promise<RawPeer> {
    const libp2p = await createLibp2p({
      addresses: { listen: [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() },
    })
    // the victim opens its own gossipsub stream to us; read it so it never stalls
    await libp2p.handle(MESHSUB, ({ stream }) => {
      void (async () => {
        for await (const _chunk of stream.source) {
          // discard
        }
      })().catch(() => {})
    })
    return new RawPeer(libp2p)
  }

  get id(): string {
    return this.libp2p.peerId.toString()
  }

  /** Opens a stream of `protocol` to the node at `address` (a full multiaddr with /p2p/). */
  async open(address: string, protocol: string): Promise<Stream> {
    return this.libp2p.dialProtocol(multiaddr(address), protocol)
  }

  /**
   * Writes every frame on one stream; resolves with how many the stream took (into its buffers,
   * not necessarily read by the victim) once the frames ran out or the stream closed (the victim
   * banning us closes it: a sink on a closed yamux stream may neither finish nor fail).
   */
  async write(stream: Stream, frames: Iterable<Uint8Array>): Promise<number> {
    let written = 0
    const sending = stream
      .sink(
        (async function* () {
          for (const frame of frames) {
            yield frame
            written++
          }
        })(),
      )
      .catch(() => {})
    let timer: ReturnType<typeof setInterval> | undefined
    const closed = new Promise<void>((resolve) => {
      timer = setInterval(() => {
        if (stream.status !== 'open') resolve()
      }, 50)
    })
    try {
      await Promise.race([sending, closed])
    } finally {
      clearInterval(timer)
    }
    return written
  }

  /**
   * Sends one request frame on a new stream and reads only the first chunk of the answer (its
   * status byte), then stops reading: the rest stays with the victim, as from a peer that asks
   * and never reads. Returns the status byte and the stream (still open), or 'reset' when the
   * victim refused the stream.
   */
  async ask(address: string, protocol: string, frame: Uint8Array): Promise<{ status: number | 'reset'; stream?: Stream }> {
    let stream: Stream
    try {
      stream = await this.open(address, protocol)
    } catch {
      return { status: 'reset' }
    }
    void stream.sink([frame]).catch(() => {})
    try {
      const first = await stream.source[Symbol.asyncIterator]().next()
      if (first.done === true) return { status: 'reset', stream }
      return { status: first.value.subarray()[0]!, stream }
    } catch {
      return { status: 'reset', stream }
    }
  }

  connected(peerId: string): boolean {
    return this.libp2p.getConnections().some((c) => c.remotePeer.toString() === peerId && c.status === 'open')
  }

  async stop(): Promise<void> {
    await this.libp2p.stop()
  }
}
