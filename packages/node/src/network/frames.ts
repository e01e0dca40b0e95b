// Length-prefixed frames on a libp2p stream. The length is read and checked against the
// caller's limit before a single byte of the body is buffered.
//
//   request:  u32 big-endian length, body
//   response: u8 status, u32 big-endian length, body (status ERROR: body is a UTF-8 error code)

import type { Stream } from '@libp2p/interface'
import { NetworkError, NetworkErrorCode } from './errors.ts'

export const STATUS_OK = 0
export const STATUS_ERROR = 1
/** Longest error text a response may carry. */
export const MAX_ERROR_BYTES = 256

interface Chunk {
  subarray(start?: number, end?: number): Uint8Array
  byteLength: number
}

export function encodeRequest(body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + body.length)
  new DataView(frame.buffer).setUint32(0, body.length)
  frame.set(body, 4)
  return frame
}

export function encodeResponse(status: number, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + body.length)
  frame.set(encodeResponseHeader(status, body.length))
  frame.set(body, 5)
  return frame
}

/** A response's status and length, to send ahead of its body (no copy of a large body). */
export function encodeResponseHeader(status: number, length: number): Uint8Array {
  const header = new Uint8Array(5)
  header[0] = status
  new DataView(header.buffer).setUint32(1, length)
  return header
}

/** Reads exact byte counts from a stream's source, across chunk boundaries. */
export class FrameReader {
  private readonly source: AsyncIterator<Chunk>
  private buffered: Uint8Array[] = []
  private bufferedBytes = 0

  constructor(stream: Pick<Stream, 'source'>) {
    this.source = stream.source[Symbol.asyncIterator]()
  }

  async read(bytes: number): Promise<Uint8Array> {
    while (this.bufferedBytes < bytes) {
      const next = await this.source.next()
      if (next.done === true) {
        throw new NetworkError(NetworkErrorCode.StreamClosed, `stream ended ${bytes - this.bufferedBytes} bytes short`)
      }
      const chunk = next.value.subarray()
      if (chunk.length === 0) continue
      this.buffered.push(chunk)
      this.bufferedBytes += chunk.length
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : concat(this.buffered, this.bufferedBytes)
    const out = all.subarray(0, bytes)
    const rest = all.subarray(bytes)
    this.buffered = rest.length > 0 ? [rest] : []
    this.bufferedBytes = rest.length
    return out
  }

  async readU32(): Promise<number> {
    const bytes = await this.read(4)
    return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0)
  }

  /** Reads a request frame; a length over `maxBytes` throws before the body is read. */
  async readRequest(maxBytes: number): Promise<Uint8Array> {
    const length = await this.readU32()
    if (length > maxBytes) {
      throw new NetworkError(NetworkErrorCode.RequestTooLarge, `request of ${length} bytes exceeds ${maxBytes}`, { length, maxBytes })
    }
    return this.read(length)
  }

  /** Reads a response frame; an error status throws RemoteError with the remote's code. */
  async readResponse(maxBytes: number): Promise<Uint8Array> {
    const [status] = await this.read(1)
    const length = await this.readU32()
    if (status !== STATUS_OK) {
      const text = length <= MAX_ERROR_BYTES ? new TextDecoder().decode(await this.read(length)) : 'unknown'
      throw new NetworkError(NetworkErrorCode.RemoteError, `remote refused the request: ${text}`, { remote: text })
    }
    if (length > maxBytes) {
      throw new NetworkError(NetworkErrorCode.ResponseTooLarge, `response of ${length} bytes exceeds ${maxBytes}`, { length, maxBytes })
    }
    return this.read(length)
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}
