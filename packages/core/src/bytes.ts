// Small byte helpers shared by every module. Uint8Array is the one byte type of core;
// Buffers coming from node APIs are Uint8Arrays too, so they pass through unchanged.

export type Bytes = Uint8Array

export const EMPTY: Bytes = new Uint8Array(0)

export function concat(...parts: Bytes[]): Bytes {
  let length = 0
  for (const part of parts) length += part.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

export function equals(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lexicographic order of bytes, shorter first on a common prefix. */
export function compare(a: Bytes, b: Bytes): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!
    if (d !== 0) return d
  }
  return a.length - b.length
}

export function toHex(bytes: Bytes): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Strict hex: even length, hex digits only, optional 0x prefix. */
export function fromHex(hex: string): Bytes {
  const body = hex.startsWith('0x') ? hex.slice(2) : hex
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
    throw new TypeError(`not a hex string: ${hex.slice(0, 20)}`)
  }
  return new Uint8Array(Buffer.from(body, 'hex'))
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function utf8(text: string): Bytes {
  return encoder.encode(text)
}

/** Throws on invalid UTF-8 rather than substituting replacement characters. */
export function fromUtf8(bytes: Bytes): string {
  return decoder.decode(bytes)
}

/** Big-endian fixed 8-byte encoding, so that keys sort by number. */
export function u64(n: number): Bytes {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setBigUint64(0, BigInt(n))
  return out
}

export function readU64(bytes: Bytes, offset = 0): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset))
}
