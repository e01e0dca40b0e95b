// The attacker's own reading of docs/protocol.md: RLP, the message formats and the sync framing,
// written from the document and not from the node's code (nothing here imports packages/ or
// test/). It is deliberately lenient when decoding what honest nodes send and exact when encoding.

import { createHash } from 'node:crypto'

export type RlpItem = Uint8Array | RlpItem[]

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder()

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text)
}

export function text(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes)
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return new Uint8Array(hash.digest())
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

// ---- RLP (section 1)

/** Minimal big-endian bytes of a non-negative integer (the length of a length prefix). */
function lengthBytes(n: number): Uint8Array {
  const out: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256)
  return Uint8Array.from(out)
}

/** The prefix of a string (offset 0x80) or list (0xc0) payload of `length` bytes. */
export function rlpPrefix(length: number, offset: 0x80 | 0xc0): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length)
  const len = lengthBytes(length)
  return concat([Uint8Array.of(offset + 55 + len.length), len])
}

export function rlpEncode(item: RlpItem): Uint8Array {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && item[0]! < 0x80) return item
    return concat([rlpPrefix(item.length, 0x80), item])
  }
  const payload = concat(item.map(rlpEncode))
  return concat([rlpPrefix(payload.length, 0xc0), payload])
}

/** Decodes one item filling `bytes` exactly; throws on malformed input (honest peers never send any). */
export function rlpDecode(bytes: Uint8Array): RlpItem {
  const { item, end } = decodeAt(bytes, 0, 0)
  if (end !== bytes.length) throw new Error('rlp: trailing bytes')
  return item
}

const MAX_DEPTH = 64

function decodeAt(bytes: Uint8Array, at: number, depth: number): { item: RlpItem; end: number } {
  if (depth > MAX_DEPTH) throw new Error('rlp: too deep')
  const b = bytes[at]
  if (b === undefined) throw new Error('rlp: truncated')
  if (b < 0x80) return { item: bytes.subarray(at, at + 1), end: at + 1 }
  const isList = b >= 0xc0
  const short = isList ? b - 0xc0 : b - 0x80
  let length: number
  let start: number
  if (short < 56) {
    length = short
    start = at + 1
  } else {
    const n = short - 55
    length = 0
    for (let i = 1; i <= n; i++) length = length * 256 + bytes[at + i]!
    start = at + 1 + n
  }
  const end = start + length
  if (end > bytes.length) throw new Error('rlp: truncated')
  if (!isList) return { item: bytes.subarray(start, end), end }
  const items: RlpItem[] = []
  for (let p = start; p < end; ) {
    const next = decodeAt(bytes, p, depth + 1)
    items.push(next.item)
    p = next.end
  }
  return { item: items, end }
}

export function uint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a uint: ${n}`)
  return lengthBytes(n)
}

export function readUint(item: RlpItem | undefined): number {
  const bytes = asBytes(item)
  let n = 0
  for (const b of bytes) n = n * 256 + b
  return n
}

export function asBytes(item: RlpItem | undefined): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new Error('rlp: expected bytes')
  return item
}

export function asList(item: RlpItem | undefined): RlpItem[] {
  if (!Array.isArray(item)) throw new Error('rlp: expected a list')
  return item
}

// ---- topics and protocol ids (sections 2, 3)

export const GOSSIP_KINDS = ['txs', 'proposal', 'vote', 'commit'] as const
export type GossipKind = (typeof GOSSIP_KINDS)[number]

export function topic(network: string, entityHex: string, kind: GossipKind): string {
  return `/p2pnode/${network}/${entityHex}/${kind}/1`
}

export function syncProtocol(network: string): string {
  return `/p2pnode/${network}/sync/1`
}

// ---- signatures (section 5)

export type SignatureKind = 'tx' | 'vote' | 'proposal'

export interface Chain {
  network: string
  entity: Uint8Array
}

export function signingBytes(chain: Chain, kind: SignatureKind, message: Uint8Array): Uint8Array {
  return sha256(rlpEncode([utf8('p2pnode/1'), utf8(chain.network), chain.entity, utf8(kind), message]))
}

// ---- transactions (section 4)

export interface UnsignedTx {
  sender: Uint8Array
  nonce: number
  kind: string
  payload: Uint8Array
}

export function txFields(chain: Chain, tx: UnsignedTx): Uint8Array[] {
  return [utf8(chain.network), chain.entity, tx.sender, uint(tx.nonce), utf8(tx.kind), tx.payload]
}

/** What the sender's Ed25519 key signs (through signingBytes, kind `tx`). */
export function txSigningMessage(chain: Chain, tx: UnsignedTx): Uint8Array {
  return rlpEncode(txFields(chain, tx))
}

export function encodeTx(chain: Chain, tx: UnsignedTx, signature: Uint8Array): Uint8Array {
  return rlpEncode([...txFields(chain, tx), signature])
}

export function kvSetPayload(key: string, value: Uint8Array): Uint8Array {
  return rlpEncode([utf8(key), value])
}

/** A `txs` gossip message: the RLP list of encoded transactions. */
export function encodeBatch(txs: Uint8Array[]): Uint8Array {
  return rlpEncode(txs)
}

// ---- blocks (section 6.1)

export interface Header {
  network: string
  entity: Uint8Array
  height: number
  time: number
  parentHash: Uint8Array
  proposer: number
  txsHash: Uint8Array
  stateRoot: Uint8Array
  validatorsHash: Uint8Array
}

function headerFields(h: Header): RlpItem[] {
  return [utf8(h.network), h.entity, uint(h.height), uint(h.time), h.parentHash, uint(h.proposer), h.txsHash, h.stateRoot, h.validatorsHash]
}

export function headerHash(h: Header): Uint8Array {
  return sha256(rlpEncode(headerFields(h)))
}

export function txsHash(txs: Uint8Array[]): Uint8Array {
  return sha256(rlpEncode(txs))
}

export function encodeBlock(h: Header, txs: Uint8Array[]): Uint8Array {
  return rlpEncode([headerFields(h), txs])
}

export function decodeHeader(blockBytes: Uint8Array): Header {
  const [header] = asList(rlpDecode(blockBytes))
  const f = asList(header)
  return {
    network: text(asBytes(f[0])),
    entity: asBytes(f[1]),
    height: readUint(f[2]),
    time: readUint(f[3]),
    parentHash: asBytes(f[4]),
    proposer: readUint(f[5]),
    txsHash: asBytes(f[6]),
    stateRoot: asBytes(f[7]),
    validatorsHash: asBytes(f[8]),
  }
}

/** Section 6.3 with equal shares: the proposer of (height, round) among n validators. */
export function equalSharesProposer(height: number, round: number, n: number): number {
  return (height - 1 + round) % n
}

// ---- votes (section 6.5)

export interface Vote {
  network: string
  entity: Uint8Array
  height: number
  round: number
  step: 1 | 2
  blockHash: Uint8Array | null
  validator: number
  signature: Uint8Array
}

export function voteSigningMessage(v: Pick<Vote, 'height' | 'round' | 'step' | 'blockHash'>): Uint8Array {
  return rlpEncode([uint(v.height), uint(v.round), uint(v.step), v.blockHash ?? new Uint8Array(0)])
}

export function encodeVote(v: Vote): Uint8Array {
  return rlpEncode([utf8(v.network), v.entity, uint(v.height), uint(v.round), uint(v.step), v.blockHash ?? new Uint8Array(0), uint(v.validator), v.signature])
}

export function decodeVote(bytes: Uint8Array): Vote {
  const f = asList(rlpDecode(bytes))
  const hash = asBytes(f[5])
  return {
    network: text(asBytes(f[0])),
    entity: asBytes(f[1]),
    height: readUint(f[2]),
    round: readUint(f[3]),
    step: readUint(f[4]) as 1 | 2,
    blockHash: hash.length === 0 ? null : hash,
    validator: readUint(f[6]),
    signature: asBytes(f[7]),
  }
}

// ---- proposals, envelopes, commit messages (section 7)

export interface ProposalTarget {
  height: number
  round: number
  /** -1 for none. */
  validRound: number
}

export function proposalSigningMessage(p: ProposalTarget, blockHash: Uint8Array): Uint8Array {
  return rlpEncode([uint(p.height), uint(p.round), uint(p.validRound + 1), blockHash])
}

export function encodeProposal(p: ProposalTarget, proposer: number, blockBytes: Uint8Array, signature: Uint8Array): Uint8Array {
  return rlpEncode([uint(p.height), uint(p.round), uint(p.validRound + 1), uint(proposer), blockBytes, signature])
}

/** Height and round of an encoded proposal. */
export function proposalPosition(bytes: Uint8Array): { height: number; round: number } {
  const f = asList(rlpDecode(bytes))
  return { height: readUint(f[0]), round: readUint(f[1]) }
}

export function encodeEnvelope(message: Uint8Array, sequence: number): Uint8Array {
  return rlpEncode([message, uint(sequence)])
}

export function decodeEnvelope(bytes: Uint8Array): { message: Uint8Array; sequence: number } {
  const [message, sequence] = asList(rlpDecode(bytes))
  return { message: asBytes(message), sequence: readUint(sequence) }
}

export interface CommitMessage {
  blockBytes: Uint8Array
  height: number
  round: number
  blockHash: Uint8Array
}

export function decodeCommitMessage(bytes: Uint8Array): CommitMessage {
  const [block, commit] = asList(rlpDecode(bytes))
  const c = asList(rlpDecode(asBytes(commit)))
  return { blockBytes: asBytes(block), height: readUint(c[0]), round: readUint(c[1]), blockHash: asBytes(c[2]) }
}

// ---- sync (section 8)

export const SYNC_STATUS_OK = 0
export const SYNC_STATUS_ERROR = 1

export function requestFrame(body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + body.length)
  new DataView(frame.buffer).setUint32(0, body.length)
  frame.set(body, 4)
  return frame
}

export function responseFrame(status: number, body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + body.length)
  frame[0] = status
  new DataView(frame.buffer).setUint32(1, body.length)
  frame.set(body, 5)
  return frame
}

export function statusRequest(): Uint8Array {
  return rlpEncode([utf8('status')])
}

export function blocksRequest(from: number, count: number): Uint8Array {
  return rlpEncode([utf8('blocks'), uint(from), uint(count)])
}

export type SyncRequest = { type: 'status' } | { type: 'blocks'; from: number; count: number } | { type: 'other' }

export function decodeSyncRequest(body: Uint8Array): SyncRequest {
  try {
    const f = asList(rlpDecode(body))
    const type = text(asBytes(f[0]))
    if (type === 'status') return { type }
    if (type === 'blocks') return { type, from: readUint(f[1]), count: readUint(f[2]) }
  } catch {
    // not ours to judge: the caller answers what it likes
  }
  return { type: 'other' }
}

export function encodeStatus(height: number, headHash: Uint8Array): Uint8Array {
  return rlpEncode([uint(height), headHash])
}

export function decodeStatus(body: Uint8Array): { height: number; headHash: Uint8Array } {
  const [height, hash] = asList(rlpDecode(body))
  return { height: readUint(height), headHash: asBytes(hash) }
}

export function decodeBlocks(body: Uint8Array): Array<{ blockBytes: Uint8Array; commitBytes: Uint8Array }> {
  return asList(rlpDecode(body)).map((entry) => {
    const [block, commit] = asList(entry)
    return { blockBytes: asBytes(block), commitBytes: asBytes(commit) }
  })
}

// ---- RLP that no honest peer sends (section 10's limits are what they are measured against)

/** A flat list of `count` single zero bytes: the smallest item, the most objects per byte. */
export function flatList(count: number, salt = 0): Uint8Array {
  const payload = new Uint8Array(count)
  payload[0] = salt & 0x7f // a distinct payload per message (message id = sha256 of the data)
  return concat([rlpPrefix(count, 0xc0), payload])
}

/** Bytes of the list prefix for a payload of `length` bytes. */
function listPrefixLength(length: number): number {
  return length < 56 ? 1 : 1 + lengthBytes(length).length
}

/**
 * Lists nested `depth` deep around one byte, each level one list of one item; built from the
 * inside out with exact lengths, so it is canonical RLP however deep it goes.
 */
export function nestedList(depth: number, salt = 0): Uint8Array {
  // payload length of each level, innermost first
  const payloads = new Float64Array(depth)
  let length = 1
  for (let i = 0; i < depth; i++) {
    payloads[i] = length
    length += listPrefixLength(length)
  }
  const out = new Uint8Array(length)
  let at = 0
  for (let i = depth - 1; i >= 0; i--) {
    const prefix = rlpPrefix(payloads[i]!, 0xc0)
    out.set(prefix, at)
    at += prefix.length
  }
  out[at] = salt & 0x7f
  return out
}

/** The deepest nesting whose encoding stays within `bytes`. */
export function depthFor(bytes: number): number {
  let depth = 0
  let length = 1
  for (;;) {
    const next = length + listPrefixLength(length)
    if (next > bytes) return depth
    length = next
    depth++
  }
}
