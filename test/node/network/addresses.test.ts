// Public or not: the DHT address filter a node chooses, and the dials a public node refuses.

import type { NetworkInterfaceInfo } from 'node:os'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { multiaddr } from '@multiformats/multiaddr'
import { LOCAL_TESTNET, NETWORK_DEFAULTS, isPublicIp, resolveDhtAddresses } from '../../../packages/node/src/index.ts'
import type { Network } from '../../../packages/node/src/index.ts'
import { denyNonPublic } from '../../../packages/node/src/network/addresses.ts'
import { failure, removeHomes, startNode, stopAll } from './helpers.ts'

const ID = '12D3KooWSVRPdVob5QvmUp2f8NHiwxAn7pHMCKCNuYXVY4gDPw7z'

function machine(...addresses: string[]): NodeJS.Dict<NetworkInterfaceInfo[]> {
  return {
    lo: [{ address: '127.0.0.1', internal: true } as NetworkInterfaceInfo],
    eth0: addresses.map((address) => ({ address, internal: false }) as NetworkInterfaceInfo),
  }
}

test('isPublicIp', () => {
  for (const ip of ['1.1.1.1', '8.8.8.8', '2606:4700:4700::1111', '::ffff:1.1.1.1']) assert.ok(isPublicIp(ip), ip)
  for (const ip of ['127.0.0.1', '10.77.0.2', '172.20.0.5', '192.168.1.1', '169.254.169.254', '100.64.0.1', '203.0.113.7', '2001:db8::1', '0.0.0.0', '::', '::1', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', 'localhost', 'not-an-ip']) {
    assert.not.ok(isPublicIp(ip), ip)
  }
})

test('auto: public on a public node, all on a one-host, LAN or container network', () => {
  const auto = (listen: string[], announce: string[], interfaces = machine('10.0.0.5')) => resolveDhtAddresses({ listen, announce, dhtAddresses: 'auto' }, interfaces)
  // how the repository's own setups run
  assert.is(auto(['/ip4/127.0.0.1/tcp/0'], []), 'all', 'devnet, one-host testnet (testnet.ts local), tests')
  assert.is(auto(['/ip4/0.0.0.0/tcp/7400'], ['/ip4/10.77.0.2/tcp/7400']), 'all', 'deploy/testnet local hosts (netns)')
  assert.is(auto(['/ip4/0.0.0.0/tcp/7400'], ['/ip4/172.20.0.3/tcp/7400']), 'all', 'docker compose')
  assert.is(auto(['/ip4/0.0.0.0/tcp/7400'], ['/ip4/1.2.3.4/tcp/7400']), 'public', 'deploy/testnet ssh hosts (VPS)')
  // the defaults on a machine with a public interface, or behind NAT with none
  assert.is(auto(NETWORK_DEFAULTS.listen, [], machine('10.0.0.5', '1.2.3.4')), 'public')
  assert.is(auto(NETWORK_DEFAULTS.listen, [], machine('192.168.1.20')), 'all')
  assert.is(auto(['/ip4/0.0.0.0/tcp/7400'], ['/dns4/node.example.org/tcp/7400']), 'public')
  // an explicit value is kept
  assert.is(resolveDhtAddresses({ listen: ['/ip4/127.0.0.1/tcp/0'], announce: [], dhtAddresses: LOCAL_TESTNET.dhtAddresses! }), 'private')
})

test('a public node refuses non-public IPs except its bootstrap addresses; DNS names pass', () => {
  const deny = denyNonPublic([`/ip4/10.0.0.9/tcp/7400/p2p/${ID}`])
  const cases: Array<[string, boolean]> = [
    ['/ip4/127.0.0.1/tcp/7400', true],
    [`/ip4/169.254.169.254/tcp/80/p2p/${ID}`, true],
    ['/ip6/::1/tcp/7400', true],
    ['/ip4/10.0.0.9/tcp/7400', false],
    [`/ip4/10.0.0.9/tcp/7400/p2p/${ID}`, false],
    ['/ip4/10.0.0.9/tcp/7401', true],
    ['/ip4/1.2.3.4/tcp/7400', false],
    ['/dns4/node.example.org/tcp/7400', false],
  ]
  for (const [addr, denied] of cases) assert.is(deny(multiaddr(addr)), denied, addr)
})

test('a node with the public filter does not dial a peer\'s loopback address, unless it is a bootstrap address', async () => {
  let peer: Network | undefined
  let open: Network | undefined
  let bootstrapped: Network | undefined
  try {
    peer = await startNode()
    const address = peer.addresses()[0]!
    open = await startNode({ dhtAddresses: 'public' })
    assert.is(await failure(open.connect(address)), 'DialDeniedError')
    assert.ok(!open.peers().some((p) => p.peerId === peer!.peerId))
    bootstrapped = await startNode({ dhtAddresses: 'public', bootstrap: [address] })
    assert.is(await failure(bootstrapped.connect(address)), undefined)
  } finally {
    await stopAll([peer, open, bootstrapped])
    await removeHomes()
  }
})

test.run()
