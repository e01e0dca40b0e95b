// The ban list on disk: `<dataDir>/bans.json`, a JSON list of {peerId, until, reason} that a
// BanList (bans.ts) loads when the network is created and saves after every change.

import { open, readFile, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Ban, BanStore } from './bans.ts'
import type { Logger } from './logger.ts'

/** The ban file in the network's dataDir. */
export const BANS_FILE = 'bans.json'
/** Where an unreadable or corrupt ban file is moved, so the node starts and the file stays. */
export const CORRUPT_SUFFIX = '.corrupt'
const TEMP_SUFFIX = '.tmp'

/**
 * Bans as a JSON list of {peerId, until, reason} in one file, replaced atomically: a temp file
 * in the same directory, fsync, rename over the old one. One write at a time; changes made while
 * a write runs are coalesced into the next. A failed write is logged, never thrown: a ban that
 * could not be saved still holds until the next restart, and the next change saves it again.
 */
export class BanFile implements BanStore {
  readonly path: string
  private readonly log: Logger
  private pending: readonly Ban[] | undefined
  private writing: Promise<void> | undefined

  constructor(path: string, log: Logger) {
    this.path = path
    this.log = log
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
    this.writing ??= this.drain()
  }

  async flush(): Promise<void> {
    while (this.writing != null) await this.writing
  }

  private async drain(): Promise<void> {
    try {
      for (let bans = this.pending; bans != null; bans = this.pending) {
        this.pending = undefined
        await this.write(bans)
      }
    } finally {
      this.writing = undefined
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
