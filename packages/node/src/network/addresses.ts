// Which addresses are public, and what that decides: the DHT's address filter (`dhtAddresses`)
// and, for a public node, a dial filter. A public node has no business dialling the loopback,
// LAN or link-local addresses that peers advertise (by identify or the DHT): at best they are
// useless to it, at worst they point it at its own LAN or its cloud's metadata service
// (169.254.169.254). A node that is not public (a one-host or LAN testnet, a container network,
// a home behind NAT) needs those addresses, so it keeps them.

import { BlockList, isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import type { NetworkInterfaceInfo } from 'node:os'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { DhtAddresses, NetworkConfig } from './config.ts'

/** Ranges that are not reachable from the internet (IANA special-purpose registries). */
const NOT_PUBLIC = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24], // documentation (TEST-NET-1..3)
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['64:ff9b:1::', 48],
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6')
}

/** True for an IP address reachable from the internet; false for private ones and non-IPs. */
export function isPublicIp(ip: string): boolean {
  const family = isIP(ip)
  if (family === 0) return false
  // IPv4-mapped IPv6 in dotted form: judged as the IPv4 it carries
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped != null) return isPublicIp(mapped[1]!)
  return !NOT_PUBLIC.check(ip, family === 4 ? 'ipv4' : 'ipv6')
}

/** The first component of a multiaddr: its kind (ip4, ip6, dns4, ...) and value. */
function host(addr: Multiaddr): { kind: string; value: string } | undefined {
  const [first] = addr.getComponents()
  if (first?.value == null) return undefined
  return { kind: first.name, value: first.value }
}

const UNSPECIFIED = new Set(['0.0.0.0', '::'])

/**
 * Whether this node is public: an address it announces (or, announcing none, listens on) is a
 * public IP or a DNS name; a listen address of 0.0.0.0 or :: counts by the machine's interfaces.
 */
export function isPublicNode(config: Pick<NetworkConfig, 'announce' | 'listen'>, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): boolean {
  const own = config.announce.length > 0 ? config.announce : config.listen
  for (const text of own) {
    const h = host(multiaddr(text))
    if (h == null) continue
    if (h.kind.startsWith('dns')) return true
    if (UNSPECIFIED.has(h.value)) {
      const machine = Object.values(interfaces).flat()
      if (machine.some((i) => i != null && !i.internal && isPublicIp(i.address))) return true
    } else if (isPublicIp(h.value)) {
      return true
    }
  }
  return false
}

/**
 * The DHT address filter in force: the configured one, or for 'auto' (the default) 'public' on
 * a public node and 'all' on any other.
 */
export function resolveDhtAddresses(config: Pick<NetworkConfig, 'announce' | 'listen' | 'dhtAddresses'>, interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>): Exclude<DhtAddresses, 'auto'> {
  if (config.dhtAddresses !== 'auto') return config.dhtAddresses
  return isPublicNode(config, interfaces) ? 'public' : 'all'
}

/**
 * For a public node's connection gater: true (deny) for an address whose IP is not public,
 * unless the operator configured it (`bootstrap`). DNS names pass: they resolve at dial time.
 */
export function denyNonPublic(bootstrap: readonly string[]): (addr: Multiaddr) => boolean {
  const allowed = new Set(bootstrap.map((text) => multiaddr(text).decapsulateCode(421).toString()))
  return (addr) => {
    const h = host(addr)
    if (h == null || (h.kind !== 'ip4' && h.kind !== 'ip6')) return false
    if (isPublicIp(h.value)) return false
    return !allowed.has(addr.decapsulateCode(421).toString())
  }
}
