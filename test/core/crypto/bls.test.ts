import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { equals, fromHex, toHex, utf8 } from '../../../packages/core/src/bytes.ts'
import { ErrorCode, isCoreError } from '../../../packages/core/src/errors.ts'
import { SignatureKind, type SigningDomain } from '../../../packages/core/src/crypto/domain.ts'
import {
  aggregateBlsSignatures,
  blsKeyFromSeed,
  fastAggregateVerifyBls,
  isValidBlsPublicKey,
  proveBlsPossession,
  verifyBlsPossession,
  signBls,
  verifyBls,
} from '../../../packages/core/src/crypto/bls.ts'

const DOMAIN: SigningDomain = { network: 'testnet', entity: new Uint8Array(32).fill(0xaa), kind: SignatureKind.Vote }
const MESSAGE = utf8('prevote height 7 round 0')
const KEYS = [1, 2, 3, 4].map((i) => blsKeyFromSeed(new Uint8Array(32).fill(i)))
const PUBLIC_KEYS = KEYS.map((k) => k.publicKey)
const KEY = KEYS[0]!

// The compressed point at infinity: a valid encoding that must never pass as key or signature.
const INFINITY_G1 = fromHex('c0' + '00'.repeat(47))
const INFINITY_G2 = fromHex('c0' + '00'.repeat(95))

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

test('blsKeyFromSeed is deterministic and gives 32-byte secret and 48-byte public keys', () => {
  const again = blsKeyFromSeed(new Uint8Array(32).fill(1))
  assert.is(KEY.secretKey.length, 32)
  assert.is(KEY.publicKey.length, 48)
  assert.is(toHex(again.secretKey), toHex(KEY.secretKey))
  assert.is(toHex(again.publicKey), toHex(KEY.publicKey))
  assert.not.ok(equals(KEYS[1]!.publicKey, KEY.publicKey))
  assert.ok(isValidBlsPublicKey(KEY.publicKey))
})

test('seeds shorter than 32 bytes and bad secret keys throw CryptoBadKey', () => {
  throwsCode(() => blsKeyFromSeed(new Uint8Array(31)), ErrorCode.CryptoBadKey, 'short seed')
  assert.is(blsKeyFromSeed(new Uint8Array(64).fill(9)).publicKey.length, 48)
  throwsCode(() => signBls(new Uint8Array(31), DOMAIN, MESSAGE), ErrorCode.CryptoBadKey, 'short secret key')
  throwsCode(() => signBls(new Uint8Array(32), DOMAIN, MESSAGE), ErrorCode.CryptoBadKey, 'zero secret key')
  throwsCode(() => signBls(new Uint8Array(32).fill(0xff), DOMAIN, MESSAGE), ErrorCode.CryptoBadKey, 'key >= r')
})

test('sign then verify round trip, 96-byte deterministic signatures', () => {
  const signature = signBls(KEY.secretKey, DOMAIN, MESSAGE)
  assert.is(signature.length, 96)
  assert.ok(equals(signBls(KEY.secretKey, DOMAIN, MESSAGE), signature))
  assert.ok(verifyBls(KEY.publicKey, DOMAIN, MESSAGE, signature))
})

test('tampered message, tampered or malformed signature and another key are rejected without throwing', () => {
  const signature = signBls(KEY.secretKey, DOMAIN, MESSAGE)
  assert.not.ok(verifyBls(KEY.publicKey, DOMAIN, utf8('prevote height 7 round 1'), signature), 'message')
  for (const index of [0, 1, 47, 48, 95]) {
    const bad = new Uint8Array(signature)
    bad[index]! ^= 1
    assert.not.ok(verifyBls(KEY.publicKey, DOMAIN, MESSAGE, bad), `signature byte ${index}`)
  }
  for (const length of [0, 95, 97, 192]) {
    const bad = new Uint8Array(length)
    bad.set(signature.subarray(0, Math.min(length, 96)))
    assert.not.ok(verifyBls(KEY.publicKey, DOMAIN, MESSAGE, bad), `signature of ${length} bytes`)
  }
  assert.not.ok(verifyBls(KEY.publicKey, DOMAIN, MESSAGE, new Uint8Array(96)), 'zero signature')
  assert.not.ok(verifyBls(KEY.publicKey, DOMAIN, MESSAGE, INFINITY_G2), 'infinity signature')
  assert.not.ok(verifyBls(KEYS[1]!.publicKey, DOMAIN, MESSAGE, signature), 'other key')
})

test('bad public keys throw CryptoBadKey and fail isValidBlsPublicKey', () => {
  const signature = signBls(KEY.secretKey, DOMAIN, MESSAGE)
  const flipped = new Uint8Array(KEY.publicKey)
  flipped[47]! ^= 1
  const cases: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['47 bytes', KEY.publicKey.subarray(0, 47)],
    ['96 bytes (uncompressed form)', new Uint8Array(96)],
    ['zeros', new Uint8Array(48)],
    ['infinity', INFINITY_G1],
    ['flipped bit', flipped],
  ]
  for (const [name, bytes] of cases) {
    assert.not.ok(isValidBlsPublicKey(bytes), name)
    throwsCode(() => verifyBls(bytes, DOMAIN, MESSAGE, signature), ErrorCode.CryptoBadKey, name)
    throwsCode(() => fastAggregateVerifyBls([KEY.publicKey, bytes], DOMAIN, MESSAGE, signature), ErrorCode.CryptoBadKey, `aggregate ${name}`)
  }
})

test('domain separation: network, entity and kind each bind the signature', () => {
  const signature = signBls(KEY.secretKey, DOMAIN, MESSAGE)
  const others: Array<[string, SigningDomain]> = [
    ['network', { ...DOMAIN, network: 'mainnet' }],
    ['entity', { ...DOMAIN, entity: new Uint8Array(32).fill(0xbb) }],
    ['kind', { ...DOMAIN, kind: SignatureKind.Tx }],
  ]
  for (const [name, domain] of others) {
    assert.not.ok(verifyBls(KEY.publicKey, domain, MESSAGE, signature), name)
    assert.ok(verifyBls(KEY.publicKey, domain, MESSAGE, signBls(KEY.secretKey, domain, MESSAGE)), `${name} own`)
  }
  const aggregate = aggregateBlsSignatures(KEYS.map((k) => signBls(k.secretKey, DOMAIN, MESSAGE)))
  for (const [name, domain] of others) {
    assert.not.ok(fastAggregateVerifyBls(PUBLIC_KEYS, domain, MESSAGE, aggregate), `aggregate ${name}`)
  }
})

test('aggregate of 4 signatures verifies with all 4 keys, in any order', () => {
  const aggregate = aggregateBlsSignatures(KEYS.map((k) => signBls(k.secretKey, DOMAIN, MESSAGE)))
  assert.is(aggregate.length, 96)
  assert.ok(fastAggregateVerifyBls(PUBLIC_KEYS, DOMAIN, MESSAGE, aggregate))
  assert.ok(fastAggregateVerifyBls([...PUBLIC_KEYS].reverse(), DOMAIN, MESSAGE, aggregate))
  assert.not.ok(fastAggregateVerifyBls(PUBLIC_KEYS, DOMAIN, utf8('other'), aggregate), 'other message')
})

test('aggregate fails with a missing, swapped or extra key', () => {
  const aggregate = aggregateBlsSignatures(KEYS.map((k) => signBls(k.secretKey, DOMAIN, MESSAGE)))
  const outsider = blsKeyFromSeed(new Uint8Array(32).fill(5)).publicKey
  assert.not.ok(fastAggregateVerifyBls(PUBLIC_KEYS.slice(0, 3), DOMAIN, MESSAGE, aggregate), 'missing')
  assert.not.ok(fastAggregateVerifyBls([...PUBLIC_KEYS.slice(0, 3), outsider], DOMAIN, MESSAGE, aggregate), 'swapped')
  assert.not.ok(fastAggregateVerifyBls([...PUBLIC_KEYS, outsider], DOMAIN, MESSAGE, aggregate), 'extra')
  assert.not.ok(fastAggregateVerifyBls([...PUBLIC_KEYS, PUBLIC_KEYS[0]!], DOMAIN, MESSAGE, aggregate), 'duplicate')
  assert.not.ok(fastAggregateVerifyBls([], DOMAIN, MESSAGE, aggregate), 'no keys')
})

test('aggregate fails when one signature was over a different message or domain', () => {
  const signatures = KEYS.map((k) => signBls(k.secretKey, DOMAIN, MESSAGE))
  signatures[2] = signBls(KEYS[2]!.secretKey, DOMAIN, utf8('precommit height 7 round 0'))
  assert.not.ok(fastAggregateVerifyBls(PUBLIC_KEYS, DOMAIN, MESSAGE, aggregateBlsSignatures(signatures)), 'message')
  signatures[2] = signBls(KEYS[2]!.secretKey, { ...DOMAIN, network: 'mainnet' }, MESSAGE)
  assert.not.ok(fastAggregateVerifyBls(PUBLIC_KEYS, DOMAIN, MESSAGE, aggregateBlsSignatures(signatures)), 'domain')
})

test('aggregating one signature gives it back; malformed ones throw CryptoBadSignature', () => {
  const signature = signBls(KEY.secretKey, DOMAIN, MESSAGE)
  assert.is(toHex(aggregateBlsSignatures([signature])), toHex(signature))
  // This flip lands on the curve but outside the prime-order subgroup: only a subgroup check catches it.
  const bad = new Uint8Array(signature)
  bad[5]! ^= 1
  throwsCode(() => aggregateBlsSignatures([signature, bad]), ErrorCode.CryptoBadSignature, 'flipped bit')
  throwsCode(() => aggregateBlsSignatures([signature, signature.subarray(0, 95)]), ErrorCode.CryptoBadSignature, 'short')
  throwsCode(() => aggregateBlsSignatures([INFINITY_G2]), ErrorCode.CryptoBadSignature, 'infinity')
  throwsCode(() => aggregateBlsSignatures([]), ErrorCode.CryptoBadSignature, 'none')
})

test('fastAggregateVerifyBls returns false for a malformed aggregate', () => {
  assert.not.ok(fastAggregateVerifyBls(PUBLIC_KEYS, DOMAIN, MESSAGE, new Uint8Array(96)))
  assert.not.ok(fastAggregateVerifyBls(PUBLIC_KEYS, DOMAIN, MESSAGE, new Uint8Array(10)))
})

test('a proof of possession verifies for its own key only', () => {
  const a = blsKeyFromSeed(new Uint8Array(32).fill(21))
  const b = blsKeyFromSeed(new Uint8Array(32).fill(22))
  const proof = proveBlsPossession(a.secretKey)
  assert.ok(verifyBlsPossession(a.publicKey, proof))
  assert.not.ok(verifyBlsPossession(b.publicKey, proof))
  assert.not.ok(verifyBlsPossession(a.publicKey, proveBlsPossession(b.secretKey)))
  assert.not.ok(verifyBlsPossession(new Uint8Array(48), proof), 'an unparseable key')
  // an ordinary signature over the key bytes, in another domain, is no proof
  const domain = { network: 'n', entity: new Uint8Array(32), kind: SignatureKind.Vote }
  assert.not.ok(verifyBlsPossession(a.publicKey, signBls(a.secretKey, domain, a.publicKey)))
})

test.run()
