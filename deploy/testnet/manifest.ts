// A testnet described in one JSON file: the nodes and the hosts they run on, who bootstraps from
// whom, a transaction load, and the faults to inject. Parsing is pure (no I/O): every field is
// checked here, so that a bad manifest fails before any namespace or process exists, with an
// error naming the field.

export const DEFAULT_MIN_PEERS = 1
export const DEFAULT_RECOVER_WITHIN_SECONDS = 30
/** Extra blocks every node must reach after the last fault before the run ends. */
export const DEFAULT_TAIL_BLOCKS = 5
/** A fault's own grace: blocks already in flight when it starts may still commit. */
export const DEFAULT_SETTLE_SECONDS = 2
/** Private range for the hosts' addresses; only ever assigned inside the runner's namespaces. */
export const DEFAULT_SUBNET = '10.77.0'
export const FIRST_HOST_OCTET = 10

export const ManifestErrorCode = {
  Invalid: 'MANIFEST_INVALID',
  UnknownName: 'MANIFEST_UNKNOWN_NAME',
  Duplicate: 'MANIFEST_DUPLICATE',
} as const
export type ManifestErrorCode = (typeof ManifestErrorCode)[keyof typeof ManifestErrorCode]

export class ManifestError extends Error {
  override readonly name = 'ManifestError'
  constructor(
    readonly code: ManifestErrorCode,
    /** Path of the bad field, e.g. `perturbations[2].groups`. */
    readonly field: string,
    message: string,
  ) {
    super(`manifest ${field}: ${message}`)
  }
}

export type Role = 'validator' | 'follower'

export interface NodeSpec {
  name: string
  role: Role
  /** Voting shares (validators only). */
  shares: number
  host: string
  /** Names of the nodes this one is given to dial at start. */
  bootstrap: string[]
  /** Not started with the others: a `join` perturbation starts it. */
  deferred: boolean
}

export interface HostSpec {
  name: string
  address: string
  /** `user@host` to reach it with ssh: the ssh back end (all hosts or none). */
  ssh?: string
}

/** When a fault starts: once the highest node reaches a height, or seconds after the network is up. */
export type Trigger = { height: number } | { time: number }

export type Perturbation =
  | { kind: 'kill'; at: Trigger; node: string; downSeconds: number }
  | { kind: 'pause'; at: Trigger; node: string; downSeconds: number }
  | { kind: 'disconnect'; at: Trigger; host: string; downSeconds: number }
  | { kind: 'partition'; at: Trigger; groups: string[][]; downSeconds: number }
  | { kind: 'join'; at: Trigger; node: string; downSeconds: 0 }
  | { kind: 'leave'; at: Trigger; node: string; downSeconds: 0 }

export interface LoadSpec {
  /** Transactions per second, spread over the nodes. */
  rate: number
  durationSeconds: number
  /** Accounts the load signs with (separate nonce sequences). */
  accounts: number
}

export interface Manifest {
  name: string
  network: string
  nodes: NodeSpec[]
  hosts: HostSpec[]
  minPeers: number
  load: LoadSpec | null
  perturbations: Perturbation[]
  recoverWithinSeconds: number
  settleSeconds: number
  tailBlocks: number
  /** Node config overlay for every node (consensus timeouts, log level...). */
  config: Record<string, unknown>
}

type Json = Record<string, unknown>

function fail(field: string, message: string, code: ManifestErrorCode = ManifestErrorCode.Invalid): never {
  throw new ManifestError(code, field, message)
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function object(v: unknown, field: string): Json {
  if (!isObject(v)) fail(field, 'must be an object')
  return v
}

function list(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) fail(field, 'must be a list')
  return v
}

function name(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,31}$/.test(v)) fail(field, 'must be 1..32 of a-z 0-9 _ - (starting with a letter or digit)')
  return v
}

function number(v: unknown, field: string, min: number, max: number, integer = true): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    fail(field, `must be ${integer ? 'an integer' : 'a number'} in ${min}..${max}, got ${JSON.stringify(v)}`)
  }
  return v
}

function optional<T>(o: Json, key: string, parse: (v: unknown) => T, fallback: T): T {
  return o[key] === undefined ? fallback : parse(o[key])
}

function onlyKeys(o: Json, field: string, keys: string[]): void {
  for (const key of Object.keys(o)) if (!keys.includes(key)) fail(`${field}.${key}`, `unknown field (known: ${keys.join(', ')})`)
}

function unique(names: string[], field: string): void {
  const seen = new Set<string>()
  for (const [i, n] of names.entries()) {
    if (seen.has(n)) fail(`${field}[${i}]`, `${n} appears twice`, ManifestErrorCode.Duplicate)
    seen.add(n)
  }
}

function ipv4(v: unknown, field: string): string {
  if (typeof v !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(v) || v.split('.').some((p) => Number(p) > 255)) fail(field, 'must be an IPv4 address')
  return v
}

function sshTarget(v: unknown, field: string): string {
  // user@host, host a name or an IPv4 address: nothing an ssh command line could read as an option.
  if (typeof v !== 'string' || !/^[a-z_][a-z0-9_-]{0,31}@[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(v)) fail(field, 'must be user@host')
  return v
}

function trigger(v: unknown, field: string): Trigger {
  const o = object(v, field)
  onlyKeys(o, field, ['height', 'time'])
  if ((o['height'] === undefined) === (o['time'] === undefined)) fail(field, 'give exactly one of height or time')
  return o['height'] !== undefined ? { height: number(o['height'], `${field}.height`, 1, 1e9) } : { time: number(o['time'], `${field}.time`, 0, 86_400, false) }
}

function parseNode(v: unknown, i: number): NodeSpec {
  const field = `nodes[${i}]`
  const o = object(v, field)
  onlyKeys(o, field, ['name', 'role', 'shares', 'host', 'bootstrap', 'deferred'])
  const role = o['role'] ?? 'validator'
  if (role !== 'validator' && role !== 'follower') fail(`${field}.role`, 'must be validator or follower')
  const n = name(o['name'], `${field}.name`)
  const shares = role === 'validator' ? optional(o, 'shares', (s) => number(s, `${field}.shares`, 1, 1_000_000), 1) : 0
  if (role === 'follower' && o['shares'] !== undefined) fail(`${field}.shares`, 'a follower has no shares')
  return {
    name: n,
    role,
    shares,
    host: optional(o, 'host', (h) => name(h, `${field}.host`), n),
    // undefined: filled in below with the first node, as `p2pnode testnet` does
    bootstrap: optional(o, 'bootstrap', (b) => list(b, `${field}.bootstrap`).map((x, j) => name(x, `${field}.bootstrap[${j}]`)), undefined as unknown as string[]),
    deferred: optional(o, 'deferred', (d) => (typeof d === 'boolean' ? d : fail(`${field}.deferred`, 'must be true or false')), false),
  }
}

function parsePerturbation(v: unknown, i: number, nodes: Set<string>, hosts: Set<string>): Perturbation {
  const field = `perturbations[${i}]`
  const o = object(v, field)
  const at = trigger(o['at'], `${field}.at`)
  const nodeRef = (key = 'node'): string => {
    const n = name(o[key], `${field}.${key}`)
    if (!nodes.has(n)) fail(`${field}.${key}`, `no node named ${n}`, ManifestErrorCode.UnknownName)
    return n
  }
  const down = (): number => number(o['downSeconds'], `${field}.downSeconds`, 0, 3_600, false)
  switch (o['kind']) {
    case 'kill':
    case 'pause':
      onlyKeys(o, field, ['kind', 'at', 'node', 'downSeconds'])
      return { kind: o['kind'], at, node: nodeRef(), downSeconds: down() }
    case 'join':
    case 'leave':
      onlyKeys(o, field, ['kind', 'at', 'node'])
      return { kind: o['kind'], at, node: nodeRef(), downSeconds: 0 }
    case 'disconnect': {
      onlyKeys(o, field, ['kind', 'at', 'host', 'downSeconds'])
      const h = name(o['host'], `${field}.host`)
      if (!hosts.has(h)) fail(`${field}.host`, `no host named ${h}`, ManifestErrorCode.UnknownName)
      return { kind: 'disconnect', at, host: h, downSeconds: down() }
    }
    case 'partition': {
      onlyKeys(o, field, ['kind', 'at', 'groups', 'downSeconds'])
      const groups = list(o['groups'], `${field}.groups`).map((g, j) =>
        list(g, `${field}.groups[${j}]`).map((h, k) => {
          const hn = name(h, `${field}.groups[${j}][${k}]`)
          if (!hosts.has(hn)) fail(`${field}.groups[${j}][${k}]`, `no host named ${hn}`, ManifestErrorCode.UnknownName)
          return hn
        }),
      )
      if (groups.length < 2 || groups.some((g) => g.length === 0)) fail(`${field}.groups`, 'needs at least two non-empty groups')
      unique(groups.flat(), `${field}.groups (flattened)`)
      if (groups.flat().length !== hosts.size) fail(`${field}.groups`, 'must place every host in exactly one group')
      return { kind: 'partition', at, groups, downSeconds: down() }
    }
    default:
      return fail(`${field}.kind`, 'must be one of kill, pause, disconnect, partition, join, leave')
  }
}

/** Checks a parsed JSON value and fills defaults; throws a ManifestError naming the first bad field. */
export function parseManifest(input: unknown): Manifest {
  const o = object(input, 'manifest')
  onlyKeys(o, 'manifest', ['name', 'network', 'nodes', 'hosts', 'minPeers', 'load', 'perturbations', 'recoverWithinSeconds', 'settleSeconds', 'tailBlocks', 'config', 'description'])
  const manifestName = name(o['name'], 'name')
  const nodes = list(o['nodes'], 'nodes').map(parseNode)
  if (nodes.length === 0) fail('nodes', 'needs at least one node')
  unique(nodes.map((n) => n.name), 'nodes')
  // The generator gives validators the first indices: keep that order so node i is manifest node i.
  const firstFollower = nodes.findIndex((n) => n.role === 'follower')
  if (firstFollower !== -1 && nodes.slice(firstFollower).some((n) => n.role === 'validator')) fail('nodes', 'list the validators before the followers')
  if (!nodes.some((n) => n.role === 'validator' && !n.deferred)) fail('nodes', 'needs at least one validator started at genesis')
  const nodeNames = new Set(nodes.map((n) => n.name))
  for (const n of nodes) n.bootstrap ??= n.name === nodes[0]!.name ? [] : [nodes[0]!.name]
  for (const [i, n] of nodes.entries()) {
    for (const [j, b] of n.bootstrap.entries()) {
      if (!nodeNames.has(b)) fail(`nodes[${i}].bootstrap[${j}]`, `no node named ${b}`, ManifestErrorCode.UnknownName)
      if (b === n.name) fail(`nodes[${i}].bootstrap[${j}]`, 'a node cannot bootstrap from itself')
    }
  }

  const hosts: HostSpec[] =
    o['hosts'] === undefined
      ? nodes.map((n, i) => ({ name: n.host, address: `${DEFAULT_SUBNET}.${FIRST_HOST_OCTET + i}` }))
      : list(o['hosts'], 'hosts').map((h, i) => {
          const ho = object(h, `hosts[${i}]`)
          onlyKeys(ho, `hosts[${i}]`, ['name', 'address', 'ssh'])
          const spec: HostSpec = { name: name(ho['name'], `hosts[${i}].name`), address: optional(ho, 'address', (a) => ipv4(a, `hosts[${i}].address`), `${DEFAULT_SUBNET}.${FIRST_HOST_OCTET + i}`) }
          if (ho['ssh'] !== undefined) {
            spec.ssh = sshTarget(ho['ssh'], `hosts[${i}].ssh`)
            if (ho['address'] === undefined) fail(`hosts[${i}].address`, 'an ssh host needs its address (the one its peers dial)')
          }
          return spec
        })
  unique(hosts.map((h) => h.name), 'hosts')
  unique(hosts.map((h) => h.address), 'hosts (addresses)')
  if (hosts.some((h) => h.ssh) && !hosts.every((h) => h.ssh)) fail('hosts', 'give ssh to every host (the ssh back end) or to none (local hosts)')
  const hostNames = new Set(hosts.map((h) => h.name))
  // Every node listens on the same port of its own host: one node per host.
  for (const [i, n] of nodes.entries()) if (!hostNames.has(n.host)) fail(`nodes[${i}].host`, `no host named ${n.host}`, ManifestErrorCode.UnknownName)
  unique(nodes.map((n) => n.host), 'nodes (hosts)')
  if (hosts.length !== nodes.length) fail('hosts', `lists ${hosts.length} hosts for ${nodes.length} nodes (one node per host)`)

  const load =
    o['load'] === undefined || o['load'] === null
      ? null
      : (() => {
          const l = object(o['load'], 'load')
          onlyKeys(l, 'load', ['rate', 'durationSeconds', 'accounts'])
          return {
            rate: number(l['rate'], 'load.rate', 0.1, 10_000, false),
            durationSeconds: number(l['durationSeconds'], 'load.durationSeconds', 1, 3_600, false),
            accounts: optional(l, 'accounts', (a) => number(a, 'load.accounts', 1, 1_000), 8),
          }
        })()

  const perturbations = optional(o, 'perturbations', (p) => list(p, 'perturbations').map((x, i) => parsePerturbation(x, i, nodeNames, hostNames)), [] as Perturbation[])
  // Perturbations run in order: a node must be out to join, and in for anything else.
  const out = new Set(nodes.filter((n) => n.deferred).map((n) => n.name))
  for (const [i, p] of perturbations.entries()) {
    if (!('node' in p)) continue
    if (p.kind === 'join') {
      if (!out.has(p.node)) fail(`perturbations[${i}].node`, `${p.node} is running already (join a deferred node, or one that left)`)
      out.delete(p.node)
    } else if (out.has(p.node)) {
      fail(`perturbations[${i}].node`, `${p.node} is not running then (deferred, or it left)`)
    } else if (p.kind === 'leave') {
      out.add(p.node)
    }
  }
  const minPeers = optional(o, 'minPeers', (m) => number(m, 'minPeers', 0, 1_000), DEFAULT_MIN_PEERS)
  if (minPeers > nodes.length - 1) fail('minPeers', `a node has at most ${nodes.length - 1} peers here`)
  return {
    name: manifestName,
    network: optional(o, 'network', (n) => name(n, 'network'), manifestName),
    nodes,
    hosts,
    minPeers,
    load,
    perturbations,
    recoverWithinSeconds: optional(o, 'recoverWithinSeconds', (r) => number(r, 'recoverWithinSeconds', 1, 3_600, false), DEFAULT_RECOVER_WITHIN_SECONDS),
    settleSeconds: optional(o, 'settleSeconds', (r) => number(r, 'settleSeconds', 0, 60, false), DEFAULT_SETTLE_SECONDS),
    tailBlocks: optional(o, 'tailBlocks', (r) => number(r, 'tailBlocks', 1, 100_000), DEFAULT_TAIL_BLOCKS),
    config: optional(o, 'config', (c) => object(c, 'config'), {}),
  }
}

/** The back end the manifest's hosts call for. */
export function backendKind(m: Manifest): 'local' | 'ssh' {
  return m.hosts.every((h) => h.ssh) ? 'ssh' : 'local'
}

/** Total shares and the quorum (more than 2/3 unless the entity says otherwise) of a validator set. */
export function holdsQuorum(groupShares: number, totalShares: number, threshold = { numerator: 2, denominator: 3 }): boolean {
  return groupShares * threshold.denominator > totalShares * threshold.numerator
}
