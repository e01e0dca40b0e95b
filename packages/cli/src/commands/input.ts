// Checking what an operator typed before anything goes to the node: a malformed argument is
// exit 7 with a sentence naming the argument and what it should look like.

import { type Bytes, fromHex } from '@p2pnode/core'
import { ExitCode, fail } from '../errors.ts'

const HEX = /^(?:0x)?((?:[0-9a-fA-F]{2})*)$/
// A peer id as libp2p prints it: base58btc (12D3KooW…, Qm…) or a base32 CID (b…).
const PEER_ID = /^(?:[1-9A-HJ-NP-Za-km-z]{40,100}|b[a-z2-7]{50,100})$/

/** A peer id, checked for its shape only (the node decodes it). */
export function parsePeerId(value: string, hint = 'p2pnode peers --json lists the connected peers with their ids'): string {
  if (!PEER_ID.test(value)) fail(ExitCode.BadInput, `"${value}" is not a peer id`, hint)
  return value
}

/** A whole number in 0..MAX_SAFE_INTEGER. */
export function parseCount(value: string, name: string, min = 0): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < min) fail(ExitCode.BadInput, `${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${value}"`)
  return n
}

/** Hex bytes (an optional 0x prefix is dropped), of exactly `length` bytes when given. */
export function parseHex(value: string, name: string, length?: number): Bytes {
  const match = HEX.exec(value)
  if (!match) fail(ExitCode.BadInput, `${name} must be hex, got "${value}"`)
  const bytes = fromHex(match[1]!.toLowerCase())
  if (length !== undefined && bytes.length !== length) {
    fail(ExitCode.BadInput, `${name} must be ${length} bytes (${length * 2} hex digits), got ${bytes.length} bytes`)
  }
  return bytes
}

/** A 32-byte hash as lower-case hex without prefix, as the API names blocks and transactions. */
export function parseHash(value: string, name: string): string {
  return Buffer.from(parseHex(value, name, 32)).toString('hex')
}

/** `--timeout SECONDS` as milliseconds. */
export function parseSeconds(value: string, name: string): number {
  const n = Number(value)
  if (!/^\d+(?:\.\d+)?$/.test(value) || !(n > 0)) fail(ExitCode.BadInput, `${name} must be a positive number of seconds, got "${value}"`)
  return n * 1000
}
