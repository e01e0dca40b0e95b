import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { dhtProtocol, entityTopics, gossipTopic, isForeignNetwork, syncProtocol } from '../../../packages/node/src/index.ts'

test('protocol ids and topics carry the network name', () => {
  assert.is(dhtProtocol('alpha'), '/p2pnode/alpha/kad/1.0.0')
  assert.is(syncProtocol('alpha'), '/p2pnode/alpha/sync/1')
  assert.is(gossipTopic('alpha', 'ab01', 'vote'), '/p2pnode/alpha/ab01/vote/1')
  assert.equal(Object.values(entityTopics('alpha', 'ab01')), [
    '/p2pnode/alpha/ab01/txs/1',
    '/p2pnode/alpha/ab01/proposal/1',
    '/p2pnode/alpha/ab01/vote/1',
    '/p2pnode/alpha/ab01/commit/1',
  ])
  assert.throws(() => gossipTopic('alpha', 'AB/01', 'vote'))
})

test('a peer is foreign only when it speaks p2pnode for another network', () => {
  const plain = ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0', '/meshsub/1.1.0']
  assert.is(isForeignNetwork('alpha', plain), false, 'plain libp2p peer')
  assert.is(isForeignNetwork('alpha', [...plain, '/p2pnode/alpha/kad/1.0.0']), false, 'same network')
  assert.is(isForeignNetwork('alpha', [...plain, '/p2pnode/beta/kad/1.0.0']), true, 'other network')
  // a name that merely starts like ours is still another network
  assert.is(isForeignNetwork('alpha', ['/p2pnode/alphabet/kad/1.0.0']), true, 'prefix-alike network')
})

test.run()
