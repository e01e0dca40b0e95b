// deploy/systemd/p2pnode.service: checked by systemd itself where systemd-analyze exists, and its
// required directives read back from the file everywhere (so a machine without systemd still
// catches a dropped hardening line).

import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const UNIT = new URL('../../deploy/systemd/p2pnode.service', import.meta.url).pathname
/** `systemd-analyze security` exposure, in its tenths (1.7 reads 17): "OK" ends at 3.9. */
const MAX_EXPOSURE = 30

/** The unit as section -> key -> values (a key may repeat, e.g. Environment). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let current: Map<string, string[]> | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = line.match(/^\[(.+)\]$/)
    if (header) {
      current = new Map()
      sections.set(header[1]!, current)
      continue
    }
    const eq = line.indexOf('=')
    assert.ok(current && eq > 0, `unit line outside a section or without "=": ${line}`)
    const key = line.slice(0, eq)
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)])
  }
  return sections
}

function hasSystemdAnalyze(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0
}

const unit = parseUnit(readFileSync(UNIT, 'utf8'))
const service = unit.get('Service') ?? new Map<string, string[]>()
const one = (key: string) => service.get(key)?.at(-1)

test('the unit runs p2pnode start as its own user on /var/lib/p2pnode, with JSON logs', () => {
  assert.is(one('User'), 'p2pnode')
  assert.ok(one('ExecStart')?.match(/\bp2pnode start --home \/var\/lib\/p2pnode$/), `ExecStart: ${one('ExecStart')}`)
  assert.ok(service.get('Environment')?.includes('P2PNODE_LOG_FORMAT=json'), 'Environment=P2PNODE_LOG_FORMAT=json')
  assert.is(unit.get('Install')?.get('WantedBy')?.[0], 'multi-user.target')
})

test('the unit is hardened, with only the home writable', () => {
  const required: Record<string, string> = {
    NoNewPrivileges: 'true',
    ProtectSystem: 'strict',
    ReadWritePaths: '/var/lib/p2pnode',
    ProtectHome: 'true',
    PrivateTmp: 'true',
    PrivateDevices: 'true',
    LimitNOFILE: '65536',
    CapabilityBoundingSet: '',
  }
  for (const [key, value] of Object.entries(required)) assert.is(one(key), value, key)
})

test('the unit restarts on failure and stops gracefully', () => {
  assert.is(one('Restart'), 'on-failure')
  assert.is(one('KillSignal'), 'SIGTERM')
  assert.is(one('TimeoutStopSec'), '30')
})

test('systemd-analyze verify accepts the unit, and rates its exposure OK', () => {
  if (!hasSystemdAnalyze()) {
    console.log('  skipped: systemd-analyze is not installed here (the directives above were still checked)')
    return
  }
  const verify = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' })
  // verify exits 0 on some warnings (an unknown key is "ignoring"), so its output must be empty too
  assert.is(verify.status, 0, verify.stderr)
  assert.is((verify.stdout + verify.stderr).trim(), '', 'systemd-analyze verify printed warnings')
  const security = spawnSync('systemd-analyze', ['security', '--offline=true', `--threshold=${MAX_EXPOSURE}`, UNIT], { encoding: 'utf8' })
  if (security.stderr.includes('--offline')) {
    console.log('  skipped the exposure check: this systemd-analyze has no --offline (systemd < 252)')
    return
  }
  assert.is(security.status, 0, security.stdout.split('\n').slice(-3).join('\n'))
})

test.run()
