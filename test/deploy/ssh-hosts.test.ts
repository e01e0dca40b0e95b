// The ssh back end cannot be run here (no VPS, no systemd): what it would send is checked instead,
// through the same plan `npm run testnet -- <manifest> --plan` prints, built from homes generated
// for real. Each test is about what a wrong command would break on an operator's hosts: a home
// replaced that the runner did not make, a killed node that systemd brings back early, a partition
// that also cuts ssh, a firewall chain left behind.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ManifestError, backendKind, parseManifest } from '../../deploy/testnet/manifest.ts'
import { type PlanStep, sshPlan } from '../../deploy/testnet/plan.ts'
import { RUN_SOURCES } from '../fixtures/run-sources.ts'
import { FIREWALL_CHAIN, HOME_MARKER, REMOTE_HOME, REMOTE_STAGE_TEMPLATE, TUNNEL_BASE_PORT, installScript } from '../../deploy/testnet/ssh-hosts.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const EXAMPLE = join(ROOT, 'deploy/testnet/examples/vps-quad.json')
const manifest = parseManifest(JSON.parse(readFileSync(EXAMPLE, 'utf8')))

let steps: PlanStep[] = []
let scratch = ''

test.before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'p2pnode-ssh-plan-'))
  steps = await sshPlan(manifest, scratch)
})

test.after(() => {
  rmSync(scratch, { recursive: true, force: true })
})

const step = (prefix: string): PlanStep => {
  const s = steps.find((x) => x.title.startsWith(prefix))
  assert.ok(s, `the plan has a step "${prefix}..." (has: ${steps.map((x) => x.title).join('; ')})`)
  return s
}
/** The commands of a step that ssh to `target`, each with its script. */
const on = (s: PlanStep, target: string) =>
  s.commands.filter((c) => {
    const head = c.split(' <<')[0]!
    return head.startsWith('ssh ') && (head.endsWith(` ${target} sh -s`) || head.endsWith(` ${target} sudo -n sh -s`))
  })

test('the example manifest is an ssh manifest; local and ssh hosts do not mix', () => {
  assert.is(backendKind(manifest), 'ssh')
  const mixed = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { hosts: Array<{ ssh?: string }> }
  delete mixed.hosts[1]!.ssh
  assert.throws(() => parseManifest(mixed), (e: unknown) => e instanceof ManifestError && e.field === 'hosts')
  // An ssh target that ssh would read as an option is refused before anything runs.
  const hostile = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { hosts: Array<{ ssh?: string }> }
  hostile.hosts[0]!.ssh = '-oProxyCommand=touch /tmp/x'
  assert.throws(() => parseManifest(hostile), (e: unknown) => e instanceof ManifestError && e.field === 'hosts[0].ssh')
})

test('install: the release packed once, then per host the home and release copied, installed as root, a tunnel to its API', () => {
  assert.equal(step('pack the release').commands.length, 1)
  assert.match(step('pack the release').commands[0]!, /deploy\/pack\.sh --out /)
  const ports = new Set<string>()
  for (const [i, host] of manifest.hosts.entries()) {
    const node = manifest.nodes.find((n) => n.host === host.name)!
    const s = step(`install ${node.name} on ${host.name}`)
    assert.ok(s.commands.some((c) => c.startsWith(`tar -C ${join(scratch, 'homes', `node${i}`)} `)), `${host.name}: its own generated home is tarred`)
    const scp = s.commands.find((c) => c.startsWith('scp '))!
    for (const f of ['p2pnode-core-', 'p2pnode-node-', 'p2pnode-cli-', 'p2pnode.service', 'home.tgz', HOME_MARKER]) assert.ok(scp.includes(f), `${host.name}: scp carries ${f}`)
    // a fresh directory of the host's mktemp (mode 0700), never a fixed path others could make first
    assert.ok(s.commands.some((c) => c.startsWith('ssh ') && c.endsWith(`${host.ssh} mktemp -d ${REMOTE_STAGE_TEMPLATE}`)), `${host.name}: the stage comes from mktemp -d`)
    assert.ok(scp.endsWith(`${host.ssh}:${REMOTE_STAGE_TEMPLATE}/`))
    // root logs in as root; anyone else goes through sudo, never a password prompt
    const asRoot = host.ssh!.startsWith('root@')
    const script = s.commands.find((c) => c.includes(asRoot ? `${host.ssh} sh -s` : `${host.ssh} sudo -n sh -s`))
    assert.ok(script, `${host.ssh}: the install script runs as root`)
    assert.ok(s.commands.every((c) => !c.startsWith('ssh') || c.includes('BatchMode=yes')), 'ssh never prompts')
    const tunnel = s.commands.find((c) => c.startsWith('ssh -N'))!
    assert.ok(tunnel.includes(`-L 127.0.0.1:${TUNNEL_BASE_PORT + i}:127.0.0.1:7401 ${host.ssh}`), `${host.name}: API tunnel on ${TUNNEL_BASE_PORT + i}`)
    ports.add(tunnel)
  }
  assert.is(ports.size, manifest.hosts.length, 'one tunnel per host')
})

test('install script: a home the runner did not make is never replaced', () => {
  const script = installScript(['p2pnode-core-0.1.0.tgz'], '/tmp/p2pnode-testnet.abc')
  assert.ok(script.startsWith("trap 'cd / && rm -rf /tmp/p2pnode-testnet.abc' EXIT\n"), 'the stage, keys and all, is removed however the install ends')
  const guard = script.indexOf(`[ ! -e ${REMOTE_HOME}/${HOME_MARKER} ]`)
  const remove = script.indexOf(`rm -rf ${REMOTE_HOME}`)
  assert.ok(guard > 0 && remove > guard, 'the marker check comes before the removal')
  assert.match(script.slice(guard, remove), /exit 3/)
  // Run the guard for real against a home with data and no marker: it must stop the script.
  const home = mkdtempSync(join(tmpdir(), 'p2pnode-guard-'))
  try {
    const guardOnly = script.slice(script.indexOf('if [ -n'), remove).replaceAll(REMOTE_HOME, home)
    const withData = spawnSync('sh', ['-c', `set -eu\necho data > ${home}/genesis.json\n${guardOnly}echo replaced`], { encoding: 'utf8' })
    assert.is(withData.status, 3, 'a foreign home stops the install')
    assert.not.match(withData.stdout, /replaced/)
    const marked = spawnSync('sh', ['-c', `set -eu\ntouch ${home}/${HOME_MARKER}\n${guardOnly}echo replaced`], { encoding: 'utf8' })
    assert.is(marked.status, 0, 'a home with the marker is the runner\'s to replace')
    assert.match(marked.stdout, /replaced/)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})

test('kill: SIGKILL, then a stop so that Restart=on-failure does not restart it before the heal; heal starts it', () => {
  const kill = step('fault 1: kill v1')
  assert.is(kill.commands.length, 1)
  const script = kill.commands[0]!
  assert.ok(script.includes(manifest.hosts[1]!.ssh!), 'on v1\'s host only')
  assert.ok(script.indexOf('systemctl kill --signal=SIGKILL p2pnode') < script.indexOf('systemctl stop p2pnode'))
  assert.match(step('fault 1: heal').commands[0]!, /systemctl start p2pnode/)
  assert.match(step('fault 2: pause v2').commands[0]!, /systemctl kill --signal=SIGSTOP p2pnode/)
  assert.match(step('fault 2: heal').commands[0]!, /systemctl kill --signal=SIGCONT p2pnode/)
})

test('disconnect and partition cut only the P2P port, between the right hosts; heal flushes every host', () => {
  const disconnect = step('fault 3: disconnect d')
  assert.is(disconnect.commands.length, 1)
  assert.ok(disconnect.commands[0]!.includes('root@203.0.113.4'))
  assert.match(disconnect.commands[0]!, new RegExp(`iptables -A ${FIREWALL_CHAIN} -p tcp -m multiport --ports 7400 -j DROP`))

  const partition = step('fault 4: partition')
  const groups = [
    ['a', 'b'],
    ['c', 'd'],
  ]
  const address = (h: string) => manifest.hosts.find((x) => x.name === h)!.address
  const target = (h: string) => manifest.hosts.find((x) => x.name === h)!.ssh!
  for (const [g, group] of groups.entries()) {
    const others = groups.filter((_, o) => o !== g).flat()
    for (const h of group) {
      const scripts = on(partition, target(h))
      assert.is(scripts.length, 1, `one script for ${h}`)
      const rules = scripts[0]!.split('\n').filter((l) => l.startsWith('iptables'))
      for (const o of others) {
        assert.ok(rules.includes(`iptables -A ${FIREWALL_CHAIN} -s ${address(o)} -p tcp -m multiport --ports 7400 -j DROP`), `${h} drops P2P from ${o}`)
        assert.ok(rules.includes(`iptables -A ${FIREWALL_CHAIN} -d ${address(o)} -p tcp -m multiport --ports 7400 -j DROP`), `${h} drops P2P to ${o}`)
      }
      for (const same of group) assert.ok(!rules.some((r) => r.includes(` ${address(same)} `)), `${h} keeps ${same}`)
      assert.ok(rules.every((r) => r.includes('--ports 7400')), `${h}: nothing but the P2P port (ssh stays up)`)
    }
  }
  const heal = step('fault 4: heal')
  for (const h of manifest.hosts) assert.is(on(heal, h.ssh!).filter((c) => c.includes(`iptables -F ${FIREWALL_CHAIN}`)).length, 1, `${h.name} flushed`)
})

test('the end: logs from the journal, every node stopped, the chain removed, the tunnels closed', () => {
  const logs = step('collect the logs')
  for (const h of manifest.hosts) assert.ok(on(logs, h.ssh!).some((c) => c.includes('journalctl -u p2pnode')), `${h.name}: journal read`)
  const end = step('stop and clean up')
  for (const h of manifest.hosts) {
    const scripts = on(end, h.ssh!).join('\n')
    assert.match(scripts, /systemctl stop p2pnode/)
    assert.match(scripts, new RegExp(`iptables -D INPUT -j ${FIREWALL_CHAIN}`))
    assert.match(scripts, new RegExp(`iptables -X ${FIREWALL_CHAIN}`))
  }
  assert.is(end.commands.filter((c) => c.startsWith('# stopped: ssh -N')).length, manifest.hosts.length, 'every tunnel closed')
})

test('`npm run testnet -- <ssh manifest> --plan` prints the plan and contacts nobody; --plan on a local manifest is a usage error', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [...RUN_SOURCES, join(ROOT, 'deploy/testnet/run.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  const plan = run(EXAMPLE, '--plan')
  assert.is(plan.status, 0, plan.stderr)
  for (const title of ['# pack the release', '# install v0 on a (root@203.0.113.1)', '# fault 4: partition a+b | c+d at 0 s', '# stop and clean up']) assert.ok(plan.stdout.includes(title), `plan shows "${title}"`)
  const local = run(join(ROOT, 'deploy/testnet/manifests/quad.json'), '--plan')
  assert.is(local.status, 2)
  assert.match(local.stderr, /--plan is for manifests whose hosts name ssh targets/)
})

test.run()
