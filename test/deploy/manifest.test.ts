import { readFileSync, readdirSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { DEFAULT_MIN_PEERS, ManifestError, ManifestErrorCode, holdsQuorum, parseManifest } from '../../deploy/testnet/manifest.ts'

const MANIFESTS = new URL('../../deploy/testnet/manifests/', import.meta.url)

const four = () => ({
  name: 'four',
  nodes: [0, 1, 2, 3].map((i) => ({ name: `v${i}`, host: `h${i}` })),
})

function rejects(input: unknown, code: string, field: string): void {
  try {
    parseManifest(input)
  } catch (err) {
    assert.instance(err, ManifestError)
    assert.is((err as ManifestError).code, code)
    assert.is((err as ManifestError).field, field)
    return
  }
  assert.unreachable(`accepted a manifest with a bad ${field}`)
}

test('every shipped manifest parses', () => {
  const files = readdirSync(MANIFESTS).filter((f) => f.endsWith('.json'))
  for (const required of ['quad.json', 'partition.json', 'crash.json', 'churn.json']) assert.ok(files.includes(required), `ships ${required}`)
  for (const file of files) {
    const m = parseManifest(JSON.parse(readFileSync(new URL(file, MANIFESTS), 'utf8')))
    assert.is(m.name, file.replace(/\.json$/, ''), `${file}: name matches the file`)
    assert.ok(m.hosts.every((h) => h.address.startsWith('10.77.0.')), `${file}: addresses in the runner's range`)
  }
})

test('defaults: validators with one share, one host each, node0 as bootstrap, addresses in 10.77.0.0/24', () => {
  const m = parseManifest(four())
  assert.is(m.network, 'four')
  assert.is(m.minPeers, DEFAULT_MIN_PEERS)
  assert.equal(
    m.nodes.map((n) => [n.role, n.shares, n.bootstrap]),
    [
      ['validator', 1, []],
      ['validator', 1, ['v0']],
      ['validator', 1, ['v0']],
      ['validator', 1, ['v0']],
    ],
  )
  assert.equal(
    m.hosts.map((h) => h.address),
    ['10.77.0.10', '10.77.0.11', '10.77.0.12', '10.77.0.13'],
  )
  assert.is(m.load, null)
  assert.equal(m.perturbations, [])
})

test('perturbations of every kind are read with their triggers', () => {
  const m = parseManifest({
    ...four(),
    nodes: [...four().nodes, { name: 'late', role: 'follower', host: 'h4', deferred: true }],
    load: { rate: 5, durationSeconds: 10 },
    perturbations: [
      { kind: 'kill', at: { height: 5 }, node: 'v1', downSeconds: 3 },
      { kind: 'pause', at: { time: 1.5 }, node: 'v2', downSeconds: 2 },
      { kind: 'disconnect', at: { time: 0 }, host: 'h3', downSeconds: 4 },
      { kind: 'partition', at: { height: 20 }, groups: [['h0', 'h1'], ['h2', 'h3', 'h4']], downSeconds: 8 },
      { kind: 'join', at: { height: 30 }, node: 'late' },
      { kind: 'leave', at: { height: 40 }, node: 'late' },
    ],
  })
  assert.equal(
    m.perturbations.map((p) => [p.kind, p.at]),
    [
      ['kill', { height: 5 }],
      ['pause', { time: 1.5 }],
      ['disconnect', { time: 0 }],
      ['partition', { height: 20 }],
      ['join', { height: 30 }],
      ['leave', { height: 40 }],
    ],
  )
  assert.equal(m.load, { rate: 5, durationSeconds: 10, accounts: 8 })
})

test('bad fields are named', () => {
  const m = four()
  rejects({ ...m, nodes: [] }, ManifestErrorCode.Invalid, 'nodes')
  rejects({ ...m, extra: 1 }, ManifestErrorCode.Invalid, 'manifest.extra')
  rejects({ ...m, nodes: [{ name: 'Bad Name' }] }, ManifestErrorCode.Invalid, 'nodes[0].name')
  rejects({ ...m, nodes: [...m.nodes, { name: 'v0', host: 'h9' }] }, ManifestErrorCode.Duplicate, 'nodes[4]')
  rejects({ ...m, nodes: [{ name: 'f', role: 'follower' }, { name: 'v' }] }, ManifestErrorCode.Invalid, 'nodes')
  rejects({ ...m, nodes: [{ name: 'f', role: 'follower', shares: 2 }] }, ManifestErrorCode.Invalid, 'nodes[0].shares')
  rejects({ ...m, nodes: [{ name: 'a', bootstrap: ['b'] }] }, ManifestErrorCode.UnknownName, 'nodes[0].bootstrap[0]')
  rejects({ ...m, nodes: [{ name: 'a', bootstrap: ['a'] }] }, ManifestErrorCode.Invalid, 'nodes[0].bootstrap[0]')
  rejects({ ...m, nodes: [{ name: 'a', host: 'h' }, { name: 'b', host: 'h' }], hosts: [{ name: 'h' }, { name: 'g' }] }, ManifestErrorCode.Duplicate, 'nodes (hosts)[1]')
  rejects({ ...m, hosts: [{ name: 'h0', address: '10.77.0.300' }] }, ManifestErrorCode.Invalid, 'hosts[0].address')
  rejects({ ...m, minPeers: 4 }, ManifestErrorCode.Invalid, 'minPeers')
  rejects({ ...m, load: { rate: 0, durationSeconds: 1 } }, ManifestErrorCode.Invalid, 'load.rate')
})

test('bad perturbations are named', () => {
  const m = four()
  const with1 = (p: unknown) => ({ ...m, perturbations: [p] })
  rejects(with1({ kind: 'explode', at: { height: 1 } }), ManifestErrorCode.Invalid, 'perturbations[0].kind')
  rejects(with1({ kind: 'kill', at: { height: 1, time: 2 }, node: 'v0', downSeconds: 1 }), ManifestErrorCode.Invalid, 'perturbations[0].at')
  rejects(with1({ kind: 'kill', at: {}, node: 'v0', downSeconds: 1 }), ManifestErrorCode.Invalid, 'perturbations[0].at')
  rejects(with1({ kind: 'kill', at: { height: 1 }, node: 'v9', downSeconds: 1 }), ManifestErrorCode.UnknownName, 'perturbations[0].node')
  rejects(with1({ kind: 'kill', at: { height: 1 }, node: 'v0' }), ManifestErrorCode.Invalid, 'perturbations[0].downSeconds')
  rejects(with1({ kind: 'disconnect', at: { height: 1 }, host: 'v0', downSeconds: 1 }), ManifestErrorCode.UnknownName, 'perturbations[0].host')
  rejects(with1({ kind: 'partition', at: { height: 1 }, groups: [['h0', 'h1', 'h2', 'h3']], downSeconds: 1 }), ManifestErrorCode.Invalid, 'perturbations[0].groups')
  rejects(with1({ kind: 'partition', at: { height: 1 }, groups: [['h0'], ['h1', 'h2']], downSeconds: 1 }), ManifestErrorCode.Invalid, 'perturbations[0].groups')
  rejects(with1({ kind: 'partition', at: { height: 1 }, groups: [['h0', 'h1'], ['h1', 'h2', 'h3']], downSeconds: 1 }), ManifestErrorCode.Duplicate, 'perturbations[0].groups (flattened)[2]')
  rejects(with1({ kind: 'join', at: { height: 1 }, node: 'v0' }), ManifestErrorCode.Invalid, 'perturbations[0].node')
  rejects(
    { ...m, perturbations: [{ kind: 'leave', at: { height: 1 }, node: 'v1' }, { kind: 'pause', at: { height: 2 }, node: 'v1', downSeconds: 1 }] },
    ManifestErrorCode.Invalid,
    'perturbations[1].node',
  )
})

test('a node that left may join again', () => {
  const m = parseManifest({ ...four(), perturbations: [{ kind: 'leave', at: { height: 1 }, node: 'v3' }, { kind: 'join', at: { height: 5 }, node: 'v3' }] })
  assert.equal(
    m.perturbations.map((p) => p.kind),
    ['leave', 'join'],
  )
})

test('a quorum is strictly more than the threshold of the shares', () => {
  assert.not.ok(holdsQuorum(2, 4), '2 of 4')
  assert.ok(holdsQuorum(3, 4), '3 of 4')
  assert.not.ok(holdsQuorum(2, 3), '2 of 3')
  assert.ok(holdsQuorum(2, 3, { numerator: 1, denominator: 2 }), '2 of 3 at 1/2')
  assert.not.ok(holdsQuorum(6, 9), '6 of 9 shares')
})

test.run()
