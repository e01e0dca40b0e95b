// The ban list on disk: `<dataDir>/bans.json`, a JSON list of {peerId, until, reason} that a
// BanList (bans.ts) loads when the network is created and saves after every change.

import { open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Ban, BanStore } from './bans.ts'
import type { Logger } from './logger.ts'

/** The ban file in the network's dataDir. */
export const BANS_FILE = 'bans.json'
/**
 * Writes start at most this often: a ban storm (one per new attacker id) becomes one write a
 * second of the whole list, not one fsync per ban. `flush()` writes at once.
 */
export const SAVE_INTERVAL_MS = 1000
/** Where an unreadable or corrupt ban file is moved, so the node starts and the file stays. */
export const CORRUPT_SUFFIX = '.corrupt'
const TEMP_SUFFIX = '.tmp'

/**
 * Bans as a JSON list of {peerId, until, reason} in one file, replaced atomically: a temp file
 * in the same directory, fsync, rename over the old one. One write at a time, starting at most
 * every `intervalMs`; changes made meanwhile are coalesced into the next write, and `flush()`
 * writes them at once. A failed write is logged, never thrown: a ban that could not be saved
 * still holds until the next restart, and the next change saves it again.
 */
export class BanFile implements BanStore {
  readonly path: string
  private readonly log: Logger
  private readonly intervalMs: number
  private pending: readonly Ban[] | undefined
  private writing: Promise<void> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private lastWriteAt = -Infinity
  /** Writes started so far (for tests and metrics). */
  writes = 0

  constructor(path: string, log: Logger, intervalMs: number = SAVE_INTERVAL_MS) {
    this.path = path
    this.log = log
    this.intervalMs = intervalMs
  }

  async load(): Promise<Ban[]> {
    // a temp file is only ever a write that did not finish: the old file is still whole
    await rm(this.path + TEMP_SUFFIX, { force: true }).catch(() => {})
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      await this.setAside(err)
      return []
    }
    try {
      return decodeBans(text)
    } catch (err) {
      await this.setAside(err)
      return []
    }
  }

  save(bans: readonly Ban[]): void {
    this.pending = bans
    this.schedule()
  }

  async flush(): Promise<void> {
    for (;;) {
      if (this.timer != null) {
        clearTimeout(this.timer)
        this.timer = undefined
      }
      if (this.writing == null && this.pending == null) return
      this.writing ??= this.drain()
      await this.writing
    }
  }

  /** Starts a write now, or once `intervalMs` has passed since the last one started. */
  private schedule(): void {
    if (this.writing != null || this.timer != null || this.pending == null) return
    const wait = this.lastWriteAt + this.intervalMs - Date.now()
    if (wait <= 0) {
      this.writing = this.drain()
      return
    }
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.writing ??= this.drain()
    }, wait)
    // a pending save must not keep a process alive; stop() flushes
    this.timer.unref()
  }

  private async drain(): Promise<void> {
    try {
      const bans = this.pending
      this.pending = undefined
      if (bans == null) return
      this.lastWriteAt = Date.now()
      this.writes++
      await this.write(bans)
    } finally {
      this.writing = undefined
      this.schedule()
    }
  }

  private async write(bans: readonly Ban[]): Promise<void> {
    const temp = this.path + TEMP_SUFFIX
    try {
      const file = await open(temp, 'w', 0o600)
      try {
        await file.writeFile(`${JSON.stringify(bans, null, 2)}\n`)
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(temp, this.path)
      await syncDirectory(dirname(this.path))
    } catch (err) {
      this.log.error({ err, file: this.path, bans: bans.length }, 'could not save bans; they hold until a restart')
      await rm(temp, { force: true }).catch(() => {})
    }
  }

  private async setAside(err: unknown): Promise<void> {
    const aside = this.path + CORRUPT_SUFFIX
    try {
      await rm(aside, { recursive: true, force: true })
      await rename(this.path, aside)
      this.log.warn({ err, file: this.path, movedTo: aside }, 'ban file unreadable; starting with no bans')
    } catch (moveErr) {
      this.log.warn({ err, moveErr, file: this.path }, 'ban file unreadable and could not be moved aside; starting with no bans')
    }
  }
}

/** Parses a ban file's text; throws on anything but a list of {peerId, until, reason}. */
export function decodeBans(text: string): Ban[] {
  const value: unknown = JSON.parse(text)
  if (!Array.isArray(value)) throw new TypeError('ban file is not a JSON list')
  return value.map((entry: unknown, i) => {
    const { peerId, until, reason } = (entry ?? {}) as Partial<Record<keyof Ban, unknown>>
    if (typeof peerId !== 'string' || peerId === '' || typeof until !== 'number' || !Number.isFinite(until) || typeof reason !== 'string') {
      throw new TypeError(`ban file entry ${i} is not {peerId, until, reason}`)
    }
    return { peerId, until, reason }
  })
}

/** Makes a rename durable; best effort (some platforms cannot fsync a directory). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // the rename itself is done; only its durability across power loss is less certain
  }
}
