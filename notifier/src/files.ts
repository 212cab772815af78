/**
 * Atomic file replacement: a temporary file beside the target (same file system), written,
 * fsynced, renamed over the target, then the folder fsynced. A reader sees the old file or the
 * new one, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    await handle.chmod(mode); // the umask may have removed bits
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await handle.close();
  await fs.rename(tmp, path);
  const dir = await fs.open(dirname(path), constants.O_RDONLY);
  try {
    await dir.sync();
  } catch {
    // some file systems refuse fsync on a folder; the rename is still atomic
  } finally {
    await dir.close();
  }
}
