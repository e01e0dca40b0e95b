import { generateKeyPairSync } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { equals, fromHex, toHex, utf8 } from '../../../packages/core/src/bytes.ts'
import { ErrorCode, isCoreError } from '../../../packages/core/src/errors.ts'
import { sha256 } from '../../../packages/core/src/hash.ts'
import { SignatureKind, type SigningDomain } from '../../../packages/core/src/crypto/domain.ts'
import {
  addressOf,
  ed25519KeyFromSeed,
  isValidEd25519PublicKey,
  signEd25519,
  verifyEd25519,
} from '../../../packages/core/src/crypto/ed25519.ts'

const SEED = new Uint8Array(32).fill(1)
const DOMAIN: SigningDomain = { network: 'testnet', entity: new Uint8Array(32).fill(0xaa), kind: SignatureKind.Tx }
const MESSAGE = utf8('kv.set a 1')

function throwsCode(fn: () => unknown, code: string, what: string): void {
  try {
    fn()
  } catch (err) {
    assert.ok(isCoreError(err), `${what}: not a CoreError`)
    assert.is((err as { code: string }).code, code, what)
    return
  }
  assert.unreachable(`${what}: did not throw`)
}

test('ed25519KeyFromSeed: known answer (RFC 8032 test 1) and determinism', () => {
  const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
  const pair = ed25519KeyFromSeed(seed)
  assert.is(toHex(pair.publicKey), 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
  assert.ok(equals(pair.secretKey, seed))
  assert.ok(equals(ed25519KeyFromSeed(new Uint8Array(seed)).publicKey, pair.publicKey))
  assert.not.ok(equals(ed25519KeyFromSeed(SEED).publicKey, pair.publicKey))
})

test('a key pair from generateKeyPairSync matches the raw extraction', () => {
  for (let i = 0; i < 5; i++) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url')
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
    assert.is(toHex(ed25519KeyFromSeed(seed).publicKey), toHex(raw), `pair ${i}`)
  }
})

test('sign then verify round trip, 64-byte deterministic signatures', () => {
  const { secretKey, publicKey } = ed25519KeyFromSeed(SEED)
  const signature = signEd25519(secretKey, DOMAIN, MESSAGE)
  assert.is(signature.length, 64)
  assert.ok(equals(signEd25519(secretKey, DOMAIN, MESSAGE), signature))
  assert.ok(verifyEd25519(publicKey, DOMAIN, MESSAGE, signature))
})

test('tampered message, tampered signature and another key are rejected', () => {
  const { secretKey, publicKey } = ed25519KeyFromSeed(SEED)
  const signature = signEd25519(secretKey, DOMAIN, MESSAGE)
  assert.not.ok(verifyEd25519(publicKey, DOMAIN, utf8('kv.set a 2'), signature), 'message')
  for (const index of [0, 31, 32, 63]) {
    const bad = new Uint8Array(signature)
    bad[index]! ^= 1
    assert.not.ok(verifyEd25519(publicKey, DOMAIN, MESSAGE, bad), `signature byte ${index}`)
  }
  const other = ed25519KeyFromSeed(new Uint8Array(32).fill(2)).publicKey
  assert.not.ok(verifyEd25519(other, DOMAIN, MESSAGE, signature), 'other key')
})

test('signature with S + L (malleated) is rejected', () => {
  const { secretKey, publicKey } = ed25519KeyFromSeed(SEED)
  const signature = signEd25519(secretKey, DOMAIN, MESSAGE)
  const L = 2n ** 252n + 27742317777372353535851937790883648493n
  let s = 0n
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!)
  s += L
  const bad = new Uint8Array(signature)
  for (let i = 32; i < 64; i++) {
    bad[i] = Number(s & 0xffn)
    s >>= 8n
  }
  assert.not.ok(verifyEd25519(publicKey, DOMAIN, MESSAGE, bad))
})

test('wrong-length signatures verify false, wrong-length keys and seeds throw CryptoBadKey', () => {
  const { secretKey, publicKey } = ed25519KeyFromSeed(SEED)
  const signature = signEd25519(secretKey, DOMAIN, MESSAGE)
  for (const length of [0, 63, 65]) {
    const sig = new Uint8Array(length)
    sig.set(signature.subarray(0, Math.min(length, 64)))
    assert.not.ok(verifyEd25519(publicKey, DOMAIN, MESSAGE, sig), `signature of ${length} bytes`)
  }
  for (const length of [0, 31, 33]) {
    throwsCode(() => verifyEd25519(new Uint8Array(length), DOMAIN, MESSAGE, signature), ErrorCode.CryptoBadKey, `key ${length}`)
    throwsCode(() => addressOf(new Uint8Array(length)), ErrorCode.CryptoBadKey, `address of ${length}`)
    throwsCode(() => ed25519KeyFromSeed(new Uint8Array(length)), ErrorCode.CryptoBadKey, `seed ${length}`)
    throwsCode(() => signEd25519(new Uint8Array(length), DOMAIN, MESSAGE), ErrorCode.CryptoBadKey, `sign ${length}`)
  }
})

test('small-order and non-canonical public keys are refused: anyone could sign for them', () => {
  const bad = [
    '0000000000000000000000000000000000000000000000000000000000000000',
    '0000000000000000000000000000000000000000000000000000000000000080',
    '0100000000000000000000000000000000000000000000000000000000000000',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p, i.e. y = 0 again
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1, i.e. y = 1 again
  ]
  for (const hex of bad) {
    assert.not.ok(isValidEd25519PublicKey(fromHex(hex)), hex)
    throwsCode(() => verifyEd25519(fromHex(hex), DOMAIN, MESSAGE, new Uint8Array(64)), ErrorCode.CryptoBadKey, hex)
  }
  assert.ok(isValidEd25519PublicKey(ed25519KeyFromSeed(SEED).publicKey))
})

test('domain separation: network, entity and kind each bind the signature', () => {
  const { secretKey, publicKey } = ed25519KeyFromSeed(SEED)
  const signature = signEd25519(secretKey, DOMAIN, MESSAGE)
  const others: Array<[string, SigningDomain]> = [
    ['network', { ...DOMAIN, network: 'mainnet' }],
    ['entity', { ...DOMAIN, entity: new Uint8Array(32).fill(0xbb) }],
    ['kind', { ...DOMAIN, kind: SignatureKind.Vote }],
  ]
  for (const [name, domain] of others) {
    assert.not.ok(verifyEd25519(publicKey, domain, MESSAGE, signature), name)
    assert.ok(verifyEd25519(publicKey, domain, MESSAGE, signEd25519(secretKey, domain, MESSAGE)), `${name} own`)
  }
  const vote = { ...DOMAIN, kind: SignatureKind.Vote }
  assert.not.ok(verifyEd25519(publicKey, DOMAIN, MESSAGE, signEd25519(secretKey, vote, MESSAGE)), 'vote under tx')
})

test('addressOf is the first 20 bytes of sha256(publicKey)', () => {
  const { publicKey } = ed25519KeyFromSeed(SEED)
  const address = addressOf(publicKey)
  assert.is(address.length, 20)
  assert.is(toHex(address), toHex(sha256(publicKey).subarray(0, 20)))
})

test('cached keys give the same answers as fresh ones and are never confused', () => {
  const pairs = Array.from({ length: 50 }, (_, i) => ed25519KeyFromSeed(new Uint8Array(32).fill(i + 10)))
  const sigs = pairs.map((p) => signEd25519(p.secretKey, DOMAIN, MESSAGE))
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < pairs.length; i++) {
      assert.ok(verifyEd25519(pairs[i]!.publicKey, DOMAIN, MESSAGE, sigs[i]!), `key ${i} round ${round}`)
      const j = (i + 1) % pairs.length
      assert.not.ok(verifyEd25519(pairs[j]!.publicKey, DOMAIN, MESSAGE, sigs[i]!), `neighbour ${i} round ${round}`)
    }
  }
})

test.run()
