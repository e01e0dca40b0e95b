import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RPC } from '@chainsafe/libp2p-gossipsub/message'
import { MAX_RPC_ELEMENTS, rpcDecodeOptions, scanRpc } from '../../../packages/node/src/network/rpc-limits.ts'

const id = (n: number) => Uint8Array.of(n)

function encode(rpc: Partial<RPC>): Uint8Array {
  return RPC.encode({ subscriptions: [], messages: [], ...rpc })
}

test('scanRpc counts every repeated element without decoding', () => {
  const bytes = encode({
    subscriptions: [{ topic: 'a', subscribe: true }, { topic: 'b', subscribe: false }],
    messages: [{ topic: 'a', data: new Uint8Array(100), seqno: new Uint8Array(8) }],
    control: {
      ihave: [{ topicID: 'a', messageIDs: [id(1), id(2), id(3)] }],
      iwant: [{ messageIDs: [id(4), id(5)] }],
      graft: [{ topicID: 'a' }],
      prune: [{ topicID: 'b', peers: [{ peerID: id(6) }], backoff: 2 ** 40 }],
      idontwant: [{ messageIDs: [id(7)] }],
    },
  })
  // 2 subscriptions + 1 message + 5 control entries + 3 + 2 ids + 1 peer + 1 id
  assert.is(scanRpc(bytes), 15)
  assert.is(scanRpc(encode({})), 0)
})

test('scanRpc stops past the limit, and on bytes that are not protobuf', () => {
  const many = encode({ control: { ihave: [{ topicID: 't', messageIDs: Array.from({ length: MAX_RPC_ELEMENTS }, () => new Uint8Array(0)) }], iwant: [], graft: [], prune: [], idontwant: [] } })
  assert.is(scanRpc(many), undefined)
  assert.is(scanRpc(many, MAX_RPC_ELEMENTS + 1), MAX_RPC_ELEMENTS + 1)
  const good = encode({ subscriptions: [{ topic: 'a', subscribe: true }] })
  for (const [what, bytes] of [
    ['cut short', good.subarray(0, good.length - 1)],
    ['length past the end', Uint8Array.of(0x0a, 0x05, 0x00)],
    ['field 0', Uint8Array.of(0x02, 0x00)],
    ['group wire type', Uint8Array.of(0x0b)],
    ['endless varint', new Uint8Array(12).fill(0x80)],
  ] as const) {
    assert.is(scanRpc(bytes), undefined, what)
  }
})

test('the decode options reach the codec (gossipsub 14.1.2\'s own do not for control lists)', () => {
  const options = rpcDecodeOptions({
    maxSubscriptions: 1, maxMessages: 1, maxIhaveMessageIDs: 2, maxIwantMessageIDs: 2,
    maxIdontwantMessageIDs: 2, maxControlMessages: 1, maxPeerInfos: 1,
  })
  const control = (c: Partial<NonNullable<RPC['control']>>) => encode({ control: { ihave: [], iwant: [], graft: [], prune: [], idontwant: [], ...c } })
  const over = {
    subscriptions: encode({ subscriptions: [{ topic: 'a' }, { topic: 'b' }] }),
    'ihave entries': control({ ihave: [{ messageIDs: [] }, { messageIDs: [] }] }),
    'ihave ids': control({ ihave: [{ messageIDs: [id(1), id(2), id(3)] }] }),
    'iwant ids': control({ iwant: [{ messageIDs: [id(1), id(2), id(3)] }] }),
    'idontwant ids': control({ idontwant: [{ messageIDs: [id(1), id(2), id(3)] }] }),
    'prune peers': control({ prune: [{ topicID: 'a', peers: [{ peerID: id(1) }, { peerID: id(2) }] }] }),
  }
  for (const [what, bytes] of Object.entries(over)) {
    assert.throws(() => RPC.decode(bytes, options), /too many elements/, what)
  }
  assert.is(RPC.decode(control({ ihave: [{ messageIDs: [id(1), id(2)] }] }), options).control?.ihave[0]?.messageIDs.length, 2)
})

test.run()
