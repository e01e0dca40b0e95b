// The ssh back end: VPS hosts reached with ssh (keys from the agent or ~/.ssh/config, BatchMode:
// never a password prompt), the node run by the shipped systemd unit. Not run on the development
// machine (it has no VPS and no systemd); `npm run testnet -- <manifest> --plan` prints every
// command it would run, and test/deploy/ssh-hosts.test.ts checks that plan.
//
// install, per host, all hosts at once:
//   1. here: the release packed once (deploy/pack.sh), the host's generated home tarred;
//   2. scp of the release, the unit and the home to /tmp/p2pnode-testnet on the host;
//   3. there, as root (`sudo -n` when the ssh user is not root): `npm install -g` of the release
//      into /usr/local, the user p2pnode, the home in /var/lib/p2pnode (a home is only ever
//      replaced when an earlier run made it: it carries the marker file), the unit installed,
//      and an iptables chain P2PNODE-TESTNET hooked into INPUT and OUTPUT for the faults;
//   4. an ssh tunnel from 127.0.0.1:<27401+i> here to the node's API on 127.0.0.1:7401 there.
//
// start: systemctl start. kill: systemctl kill -s SIGKILL, then systemctl stop, so that the
// unit's Restart=on-failure does not bring the node back before the fault says. stop: systemctl
// stop (SIGTERM). pause, resume: systemctl kill -s SIGSTOP / SIGCONT.
// disconnect: the host drops its P2P port; partition: each host drops the P2P port to and from
// the other groups' addresses; reconnect and heal flush the chain. ssh and the tunnels (port 22)
// are never touched. destroy: the nodes stopped, the chain removed, the tunnels closed; the
// release and the homes stay on the hosts (docs/testnets.md says how to remove them).

import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { API_PORT, type Backend, type BackendNode, type NodeSignal, P2P_PORT } from './backend.ts'
import type { HostSpec } from './manifest.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const PACK_SCRIPT = join(ROOT, 'deploy/pack.sh')
const UNIT_FILE = join(ROOT, 'deploy/systemd/p2pnode.service')
const PACKAGES = ['core', 'node', 'cli'] as const

export const UNIT = 'p2pnode'
export const REMOTE_HOME = '/var/lib/p2pnode'
/**
 * Where a host receives the release and the home (validator keys in it) before installing them: a
 * fresh directory made by `mktemp -d` (mode 0700, owned by the login user) under this template,
 * removed after the install. A fixed path could be made beforehand by another user of the host,
 * who would then read the keys and swap the tarballs root installs (review L-7).
 */
export const REMOTE_STAGE_TEMPLATE = '/tmp/p2pnode-testnet.XXXXXXXXXX'
export const REMOTE_PREFIX = '/usr/local'
/** Present in every home this runner put on a host: the only homes it will replace. */
export const HOME_MARKER = '.p2pnode-testnet'
export const FIREWALL_CHAIN = 'P2PNODE-TESTNET'
/** Local end of host i's API tunnel: 127.0.0.1:(TUNNEL_BASE_PORT + i). */
export const TUNNEL_BASE_PORT = 27_401
const SSH_OPTIONS = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'ServerAliveInterval=5', '-o', 'ServerAliveCountMax=3']
const COMMAND_TIMEOUT_MS = 300_000

/** How the back end runs commands: for real, or recorded (the plan). */
export interface Shell {
  /** Runs a command to its end, `input` on its stdin; rejects when it exits non-zero. */
  run(argv: string[], input?: string): Promise<string>
  /** Starts a command that runs until stopped (a tunnel). */
  spawn(argv: string[]): { stop(): void }
}

const exec = promisify(execFile)

export const systemShell: Shell = {
  async run(argv, input) {
    const child = exec(argv[0]!, argv.slice(1), { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 })
    if (input !== undefined) child.child.stdin!.end(input)
    try {
      return (await child).stdout
    } catch (err) {
      const e = err as Error & { stderr?: string }
      throw new Error(`${argv.slice(0, 4).join(' ')} ...: ${(e.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || e.message}`)
    }
  },
  spawn(argv) {
    const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' })
    child.on('error', () => {})
    return { stop: () => child.kill('SIGTERM') }
  },
}

/** Records each command instead of running it: the plan `--plan` prints. */
export class RecordingShell implements Shell {
  readonly commands: string[] = []

  async run(argv: string[], input?: string): Promise<string> {
    this.commands.push(input === undefined ? argv.join(' ') : `${argv.join(' ')} <<'EOF'\n${input.trimEnd()}\nEOF`)
    return ''
  }

  spawn(argv: string[]): { stop(): void } {
    this.commands.push(`${argv.join(' ')} &`)
    return { stop: () => this.commands.push(`# stopped: ${argv.join(' ')}`) }
  }
}

interface SshHost {
  name: string
  address: string
  target: string
  tunnelPort: number
}

export interface SshHostsOptions {
  /** The runner's directory for this run: the release and the home tarballs go under it. */
  workDir: string
  /** Written into each home's marker file. */
  runName: string
  shell?: Shell
}

export class SshHosts implements Backend {
  readonly kind = 'ssh'
  private readonly shell: Shell
  private readonly tunnels: Array<{ stop(): void }> = []
  private readonly since = Math.floor(Date.now() / 1000)
  private readonly hosts: SshHost[]

  constructor(
    specs: HostSpec[],
    private readonly options: SshHostsOptions,
  ) {
    this.shell = options.shell ?? systemShell
    this.hosts = specs.map((h, i) => {
      if (!h.ssh) throw new Error(`host ${h.name} has no ssh target`)
      return { name: h.name, address: h.address, target: h.ssh, tunnelPort: TUNNEL_BASE_PORT + i }
    })
  }

  host(name: string): SshHost {
    const h = this.hosts.find((x) => x.name === name)
    if (!h) throw new Error(`no ssh host ${name}`)
    return h
  }

  address(host: string): string {
    return this.host(host).address
  }

  apiUrl(host: string): string {
    return `http://127.0.0.1:${this.host(host).tunnelPort}`
  }

  /** Runs a shell script on a host as root. */
  private remote(host: string, script: string): Promise<string> {
    const { target } = this.host(host)
    const root = target.startsWith('root@')
    return this.shell.run(['ssh', ...SSH_OPTIONS, target, root ? 'sh -s' : 'sudo -n sh -s'], `set -eu\n${script}`)
  }

  async install(nodes: BackendNode[]): Promise<void> {
    await this.pack()
    await Promise.all(nodes.map((n) => this.installOn(n)))
  }

  /** The release, packed here once for every host. */
  async pack(): Promise<void> {
    await this.shell.run([PACK_SCRIPT, '--out', join(this.options.workDir, 'release')])
  }

  /** Copies the release, the unit and the node's home to its host, installs them, opens the API tunnel. */
  async installOn(node: BackendNode): Promise<void> {
    const h = this.host(node.host)
    const release = join(this.options.workDir, 'release')
    const files = await releaseFiles()
    const stage = join(this.options.workDir, 'ssh', node.spec.name)
    await mkdir(stage, { recursive: true })
    await writeFile(join(stage, HOME_MARKER), `${this.options.runName}\n`)
    await this.shell.run(['tar', '-C', node.home, '-czf', join(stage, 'home.tgz'), '.'])
    // --plan prints the template where a run would have the directory mktemp made
    const remoteStage = (await this.shell.run(['ssh', ...SSH_OPTIONS, h.target, `mktemp -d ${REMOTE_STAGE_TEMPLATE}`])).trim() || REMOTE_STAGE_TEMPLATE
    await this.shell.run(['scp', '-q', ...SSH_OPTIONS, ...files.map((f) => join(release, f)), UNIT_FILE, join(stage, 'home.tgz'), join(stage, HOME_MARKER), `${h.target}:${remoteStage}/`])
    await this.remote(node.host, installScript(files, remoteStage))
    this.tunnels.push(this.shell.spawn(['ssh', '-N', ...SSH_OPTIONS, '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${h.tunnelPort}:127.0.0.1:${API_PORT}`, h.target]))
  }

  /** systemd restarts a crashed node itself: `onExit` is never called. */
  async start(node: BackendNode): Promise<void> {
    await this.remote(node.host, `systemctl start ${UNIT}`)
  }

  async signal(node: BackendNode, signal: NodeSignal): Promise<void> {
    switch (signal) {
      case 'SIGKILL':
        await this.remote(node.host, `systemctl kill --signal=SIGKILL ${UNIT} || true\nsystemctl stop ${UNIT}`)
        return
      case 'SIGTERM':
        await this.remote(node.host, `systemctl stop ${UNIT}`)
        return
      default:
        await this.remote(node.host, `systemctl kill --signal=${signal} ${UNIT}`)
    }
  }

  async disconnect(host: string): Promise<void> {
    await this.remote(host, `iptables -A ${FIREWALL_CHAIN} -p tcp -m multiport --ports ${P2P_PORT} -j DROP`)
  }

  async reconnect(host: string): Promise<void> {
    await this.remote(host, `iptables -F ${FIREWALL_CHAIN}`)
  }

  async partition(groups: string[][]): Promise<void> {
    await Promise.all(
      groups.flatMap((group, g) => {
        const others = groups.flatMap((other, o) => (o === g ? [] : other.map((h) => this.host(h).address)))
        const rules = others.flatMap((a) => [`iptables -A ${FIREWALL_CHAIN} -s ${a} -p tcp -m multiport --ports ${P2P_PORT} -j DROP`, `iptables -A ${FIREWALL_CHAIN} -d ${a} -p tcp -m multiport --ports ${P2P_PORT} -j DROP`])
        return group.map((host) => this.remote(host, rules.join('\n')))
      }),
    )
  }

  async heal(): Promise<void> {
    await Promise.all(this.hosts.map((h) => this.reconnect(h.name)))
  }

  async collectLogs(nodes: BackendNode[]): Promise<void> {
    await Promise.all(
      nodes.map(async (node) => {
        const log = await this.remote(node.host, `journalctl -u ${UNIT} --no-pager -o cat --since @${this.since}`).catch((err: Error) => `(logs not collected: ${err.message})\n`)
        await writeFile(node.logFile, log)
      }),
    )
  }

  async destroy(): Promise<void> {
    for (const t of this.tunnels.splice(0)) t.stop()
    await Promise.all(this.hosts.map((h) => this.remote(h.name, cleanupScript()).catch(() => {})))
  }
}

/** The tarballs deploy/pack.sh writes: p2pnode-<package>-<version>.tgz. */
async function releaseFiles(): Promise<string[]> {
  return Promise.all(
    PACKAGES.map(async (p) => {
      const pkg = JSON.parse(await readFile(join(ROOT, 'packages', p, 'package.json'), 'utf8')) as { version: string }
      return `p2pnode-${p}-${pkg.version}.tgz`
    }),
  )
}

/** Run as root on a host, in `stage` (see REMOTE_STAGE_TEMPLATE), with the release, the unit and the home copied there. */
export function installScript(files: string[], stage: string): string {
  return `trap 'cd / && rm -rf ${stage}' EXIT
cd ${stage}
npm install -g --no-audit --no-fund --prefix ${REMOTE_PREFIX} ${files.map((f) => `./${f}`).join(' ')}
id -u p2pnode >/dev/null 2>&1 || useradd --system --home-dir ${REMOTE_HOME} --shell /usr/sbin/nologin p2pnode
systemctl stop ${UNIT} 2>/dev/null || true
if [ -n "$(ls -A ${REMOTE_HOME} 2>/dev/null)" ] && [ ! -e ${REMOTE_HOME}/${HOME_MARKER} ]; then
  echo "${REMOTE_HOME} holds a home this runner did not make: not replacing it" >&2
  exit 3
fi
rm -rf ${REMOTE_HOME}
install -d -o p2pnode -g p2pnode -m 700 ${REMOTE_HOME}
tar -C ${REMOTE_HOME} -xzf home.tgz
install -m 600 ${HOME_MARKER} ${REMOTE_HOME}/${HOME_MARKER}
chown -R p2pnode:p2pnode ${REMOTE_HOME}
install -m 644 p2pnode.service /etc/systemd/system/${UNIT}.service
systemctl daemon-reload
iptables -N ${FIREWALL_CHAIN} 2>/dev/null || iptables -F ${FIREWALL_CHAIN}
iptables -C INPUT -j ${FIREWALL_CHAIN} 2>/dev/null || iptables -I INPUT -j ${FIREWALL_CHAIN}
iptables -C OUTPUT -j ${FIREWALL_CHAIN} 2>/dev/null || iptables -I OUTPUT -j ${FIREWALL_CHAIN}`
}

function cleanupScript(): string {
  return `systemctl stop ${UNIT} || true
iptables -D INPUT -j ${FIREWALL_CHAIN} 2>/dev/null || true
iptables -D OUTPUT -j ${FIREWALL_CHAIN} 2>/dev/null || true
iptables -F ${FIREWALL_CHAIN} 2>/dev/null || true
iptables -X ${FIREWALL_CHAIN} 2>/dev/null || true`
}
