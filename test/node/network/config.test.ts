import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MIN_CONNECTIONS,
  NetworkErrorCode,
  isNetworkError,
  networkConfig,
} from '../../../packages/node/src/index.ts'
import type { NetworkConfig } from '../../../packages/node/src/index.ts'

const base = { network: 'testnet', dataDir: '/tmp/p2pnode-config-test' }

/** The field a bad config is refused for (undefined if it is accepted). */
function badField(input: Partial<NetworkConfig>): string | undefined {
  try {
    networkConfig({ ...base, ...input })
  } catch (err) {
    if (!isNetworkError(err, NetworkErrorCode.BadConfig)) throw err
    return err.data['field'] as string
  }
  return undefined
}

test('defaults fill every field', () => {
  const config = networkConfig(base)
  assert.is(config.maxConnections, DEFAULT_MAX_CONNECTIONS)
  assert.is(config.minConnections, DEFAULT_MIN_CONNECTIONS)
  assert.is(config.mdns, false)
  assert.equal(config.bootstrap, [])
  assert.is(config.dhtAddresses, 'auto')
  assert.is(config.dhtServer, true)
})

test('each bad value is refused naming its field', () => {
  const cases: Array<[string, Partial<NetworkConfig>]> = [
    ['network', { network: '' }],
    ['network', { network: 'has/slash' }],
    ['network', { network: 'UPPER' }],
    ['dataDir', { dataDir: '' }],
    ['listen', { listen: ['not a multiaddr'] }],
    ['listen', { listen: [] }],
    ['announce', { announce: ['/ip4/1.2.3.4/tcp/x'] }],
    ['bootstrap', { bootstrap: ['/ip4/127.0.0.1/tcp/7400'] }],
    ['maxConnections', { maxConnections: 0 }],
    ['maxConnections', { maxConnections: 1.5 }],
    ['minConnections', { minConnections: -1 }],
    ['minConnections', { minConnections: 10, maxConnections: 5 }],
    ['inboundConnectionsPerSecond', { inboundConnectionsPerSecond: 0 }],
    ['ipColocationLimit', { ipColocationLimit: 0 }],
    ['mdns', { mdns: 'yes' as unknown as boolean }],
    ['banMinutes', { banMinutes: 0 }],
    ['banMinutes', { banMinutes: Number.POSITIVE_INFINITY }],
    ['dhtAddresses', { dhtAddresses: 'everything' as NetworkConfig['dhtAddresses'] }],
    ['dhtServer', { dhtServer: 'no' as unknown as boolean }],
  ]
  for (const [field, input] of cases) {
    assert.is(badField(input), field, `${JSON.stringify(input)} should be refused for ${field}`)
  }
})

test('a complete valid config is accepted', () => {
  assert.is(
    badField({
      listen: ['/ip4/0.0.0.0/tcp/7400'],
      announce: ['/dns4/node.example.org/tcp/7400'],
      bootstrap: ['/ip4/10.0.0.1/tcp/7400/p2p/12D3KooWSVRPdVob5QvmUp2f8NHiwxAn7pHMCKCNuYXVY4gDPw7z'],
      maxConnections: 50,
      minConnections: 50,
      mdns: true,
      banMinutes: 0.5,
    }),
    undefined,
  )
})

test.run()
