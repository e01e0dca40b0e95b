// deploy/docker, deploy/prometheus, deploy/grafana: this machine has no Docker engine, so they are
// read, not run. The checks tie them to each other and to the tested install path: the image
// installs through deploy/pack.sh, every compose node is scraped, the dashboard is provisioned.
// (test/deploy/install.test.ts runs the image's HEALTHCHECK command against an installed node and
// checks that every metric the dashboard queries is exported.)

import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const dockerfile = read('deploy/docker/Dockerfile')
const compose = read('deploy/docker/compose.yml')
const prometheus = read('deploy/prometheus/prometheus.yml')
const NODES = ['node0', 'node1', 'node2', 'node3']

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Array<[string, string]> {
  const joined = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  return joined.map((l) => {
    const space = l.indexOf(' ')
    return [l.slice(0, space).toUpperCase(), l.slice(space + 1).trim()]
  })
}

test('the Dockerfile: multi-stage on node:20-slim, installed through deploy/pack.sh', () => {
  const all = instructions(dockerfile)
  const froms = all.filter(([op]) => op === 'FROM').map(([, arg]) => arg)
  assert.ok(froms.length >= 2, 'multi-stage')
  for (const from of froms) assert.ok(from.startsWith('node:20-slim'), `FROM ${from}`)
  assert.ok(all.some(([op, arg]) => op === 'RUN' && arg.includes('deploy/pack.sh')), 'packs with deploy/pack.sh')
  assert.ok(all.some(([op, arg]) => op === 'RUN' && /npm install -g .*--prefix/.test(arg)), 'npm install -g --prefix')
})

test('the Dockerfile: the final stage runs as a non-root user, exposes 7400, keeps the home in a volume, checks /health', () => {
  const all = instructions(dockerfile)
  const lastFrom = all.map(([op]) => op).lastIndexOf('FROM')
  const final = all.slice(lastFrom)
  const user = final.filter(([op]) => op === 'USER').at(-1)?.[1]
  assert.ok(user && user !== 'root' && user !== '0', `USER ${user}`)
  assert.ok(final.some(([op, arg]) => op === 'EXPOSE' && arg.split(/\s+/).includes('7400')), 'EXPOSE 7400')
  assert.ok(final.some(([op, arg]) => op === 'VOLUME' && arg.includes('/var/lib/p2pnode')), 'VOLUME the home')
  const health = final.find(([op]) => op === 'HEALTHCHECK')?.[1] ?? ''
  assert.match(health, /\/health/)
  assert.ok(final.some(([op, arg]) => op === 'ENV' && arg.includes('P2PNODE_HOME=/var/lib/p2pnode')), 'P2PNODE_HOME')
})

test('compose: an init service generates the homes with p2pnode testnet --hosts, then four nodes start', () => {
  assert.match(compose, /p2pnode testnet --validators 4 /)
  const hosts = compose.match(/--hosts ([\d.,]+)/)?.[1]?.split(',') ?? []
  assert.is(hosts.length, NODES.length)
  NODES.forEach((name, i) => {
    assert.match(compose, new RegExp(`\\n  ${name}:\\n`), `service ${name}`)
    assert.match(compose, new RegExp(`P2PNODE_HOME: /net/${name}\\b`), `${name}'s home`)
    assert.match(compose, new RegExp(`${name}:[^]*?ipv4_address: ${hosts[i]!.replace(/\./g, '\\.')}`), `${name} has --hosts address ${i}`)
  })
  assert.match(compose, /condition: service_completed_successfully/)
  // Prometheus scrapes across the compose network: loopback-only metrics would be unreachable
  assert.match(compose, /P2PNODE_METRICS: 0\.0\.0\.0:7402/)
})

test('prometheus scrapes every compose node on 7402; grafana gets the data source and the dashboard', () => {
  for (const name of NODES) assert.ok(prometheus.includes(`"${name}:7402"`), `target ${name}:7402`)
  assert.match(prometheus, /job_name: p2pnode/)
  const datasource = read('deploy/grafana/provisioning/datasources/prometheus.yml')
  assert.match(datasource, /url: http:\/\/prometheus:9090/)
  const provider = read('deploy/grafana/provisioning/dashboards/p2pnode.yml')
  const path = provider.match(/path: (\S+)/)?.[1]
  assert.ok(path && compose.includes(`../grafana/dashboards:${path}`), `compose mounts the dashboards at the provider's path ${path}`)
  const dashboard = JSON.parse(read('deploy/grafana/dashboards/p2pnode.json'))
  assert.is(dashboard.uid, 'p2pnode')
  assert.ok(dashboard.panels.length >= 8)
  for (const panel of dashboard.panels) {
    assert.ok(panel.targets.length > 0, `panel ${panel.title} has queries`)
    for (const target of panel.targets) assert.match(target.expr, /job="p2pnode"/, `panel ${panel.title} selects job p2pnode, as prometheus.yml names it`)
  }
})

test.run()
