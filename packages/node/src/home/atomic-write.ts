// One way to write a home file so that a crash or power loss leaves either the old content or the
// new, never a torn file: write a temporary file beside it, fsync it, rename it over the target,
// then fsync the directory so that the rename itself is on disk. Keys, the API token, config,
// genesis and the signer state all go through here.

import { open, rename, rm } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The temporary file a write goes through; a crash can leave it behind, and readers ignore it. */
export function tmpPathOf(path: string): string {
  return `${path}.tmp`
}

/**
 * Replaces `path` with `data`, durably. `mode` applies to the new file whatever the old one had
 * (a key written 0600 stays 0600 even if an old file or a leftover tmp file was more open).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const mode = options.mode ?? 0o644
  const tmp = tmpPathOf(path)
  try {
    // 'w' truncates a tmp file left by a crash; its mode is reset before a secret is written.
    const file = await open(tmp, 'w', mode)
    try {
      await file.chmod(mode)
      await file.writeFile(data)
      await file.sync()
    } finally {
      await file.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await syncDir(dirname(path))
}

/** Makes the directory's entries (a rename, a new or deleted file) durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
