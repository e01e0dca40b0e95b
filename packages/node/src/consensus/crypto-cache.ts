// A ConsensusCrypto that remembers the signatures it verified. Gossip validation must verify a
// vote or proposal before forwarding it, and the engine verifies it again when it takes it in;
// with this wrapper the second check is a map lookup, not a millisecond of BLS.

import { type Bytes, type ConsensusCrypto, sha256, toHex, u64 } from '@p2pnode/core'

const CAPACITY = 20_000

export function cachingCrypto(inner: ConsensusCrypto): ConsensusCrypto {
  const verified = new Map<string, true>()
  const remember = (key: string) => {
    verified.set(key, true)
    if (verified.size > CAPACITY) verified.delete(verified.keys().next().value as string)
  }
  const cached = (kind: string, check: (pk: Bytes, msg: Bytes, sig: Bytes) => boolean) => (pk: Bytes, msg: Bytes, sig: Bytes) => {
    // lengths first: no two different triples share a key
    const key = kind + toHex(sha256(u64(pk.length), u64(msg.length), pk, msg, sig))
    if (verified.has(key)) return true
    const ok = check(pk, msg, sig)
    if (ok) remember(key)
    return ok
  }
  return {
    ...inner,
    verifyVote: cached('v', inner.verifyVote),
    verifyProposal: cached('p', inner.verifyProposal),
  }
}
