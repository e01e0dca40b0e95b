// Signing and verification for p2pnode: Ed25519 account keys, BLS12-381 validator keys, and the
// domain separation both share. Every signature is over signingBytes(domain, message), never the
// raw message, so it is bound to one network, one entity and one kind of object.

export * from './domain.ts'
export * from './ed25519.ts'
export * from './bls.ts'
