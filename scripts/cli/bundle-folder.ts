// A bundle folder as a zip: the folder is, or holds, `apiproxy/`.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { zipSync } from 'fflate';
import { CliError } from './connection.js';

/** Zips a directory that is, or holds, an `apiproxy` folder; regular files only (no symbolic links followed). */
export function zipDirectory(directory: string): Buffer {
  const root = existsSync(join(directory, 'apiproxy')) ? join(directory, 'apiproxy') : directory;
  if (basename(root) !== 'apiproxy' && !readdirSync(root).some((name) => name === 'proxies')) {
    throw new CliError(`${directory} is not an API proxy bundle folder (no apiproxy/ or proxies/ in it)`);
  }
  const files: Record<string, Uint8Array> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) files[`apiproxy/${relative(root, path).split(sep).join('/')}`] = readFileSync(path);
    }
  };
  walk(root);
  return Buffer.from(zipSync(files));
}
