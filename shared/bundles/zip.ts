// Reading untrusted zip files. Every limit is checked from the central
// directory BEFORE anything is inflated (entry count, per-entry and total
// uncompressed size, compression ratio), names are checked for traversal, and
// inflation itself is bounded by the declared size, so an entry that lies
// about its size cannot grow past it. Writing uses fflate's zipSync.
import { crc32 } from 'node:zlib';
import type * as Fflate from 'fflate';
import { createRequire } from 'node:module';

/** fflate, loaded when the first zip is read or written (the platform's bundle leaves it out). */
let fflate: typeof Fflate | undefined;
/* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, synchronously, as the callers are */
const zipLibrary = () => (fflate ??= (typeof require === 'function' ? require('fflate') : createRequire(import.meta.url)('fflate')) as typeof Fflate);

export interface ZipLimits {
  /** The zip file itself. */
  maxZipBytes: number;
  maxEntries: number;
  /** Uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Uncompressed size of all entries together. */
  maxTotalBytes: number;
  /** Largest uncompressed/compressed ratio, checked for entries above `ratioFloorBytes`. */
  maxRatio: number;
  ratioFloorBytes: number;
}

export const BUNDLE_LIMITS: ZipLimits = {
  // What a request body may be at all (MAX_REQUEST_BODY_BYTES in http/lambda.ts).
  maxZipBytes: 4 * 1024 * 1024,
  maxEntries: 1_000,
  maxEntryBytes: 2 * 1024 * 1024,
  maxTotalBytes: 20 * 1024 * 1024,
  maxRatio: 100,
  ratioFloorBytes: 64 * 1024,
};

/** The zip is refused: `status` 413 for limits, 400 for a broken file, 422 for unsafe names. */
export class ZipError extends Error {
  constructor(
    readonly status: 400 | 413 | 422,
    message: string,
    readonly entry?: string,
  ) {
    super(message);
    this.name = 'ZipError';
  }
}

interface CentralEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  externalAttributes: number;
  madeBy: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function findEndOfCentralDirectory(data: Buffer): number {
  // The EOCD record is 22 bytes plus a comment of at most 65,535 bytes.
  const stop = Math.max(0, data.length - 22 - 0xffff);
  for (let i = data.length - 22; i >= stop; i--) {
    if (data.readUInt32LE(i) === EOCD) return i;
  }
  throw new ZipError(400, 'Not a zip file (no end of central directory record)');
}

/** Rejects names that could escape the bundle or mean something else on another system. */
export function checkEntryName(name: string): void {
  if (name.length === 0 || name.length > 500) throw new ZipError(422, 'Zip entry has an empty or overlong name', name.slice(0, 100));
  if (name.includes('\\')) throw new ZipError(422, `Zip entry name "${name}" contains a backslash`, name);
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw new ZipError(422, `Zip entry name "${name}" is an absolute path`, name);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) throw new ZipError(422, 'Zip entry name contains control characters', name.replace(/[^\x20-\x7e]/g, '?'));
  if (name.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new ZipError(422, `Zip entry name "${name}" contains a relative path segment`, name);
  }
}

function readCentralDirectory(data: Buffer, limits: ZipLimits): CentralEntry[] {
  const eocd = findEndOfCentralDirectory(data);
  const disk = data.readUInt16LE(eocd + 4);
  const count = data.readUInt16LE(eocd + 10);
  const directorySize = data.readUInt32LE(eocd + 12);
  const directoryOffset = data.readUInt32LE(eocd + 16);
  if (disk !== 0) throw new ZipError(400, 'Multi-part zip files are not supported');
  if (count === 0xffff || directoryOffset === 0xffffffff) throw new ZipError(413, 'ZIP64 archives are not accepted (bundles are far smaller)');
  if (count > limits.maxEntries) throw new ZipError(413, `Zip has ${count} entries; at most ${limits.maxEntries} are allowed`);
  if (directoryOffset + directorySize > eocd) throw new ZipError(400, 'Zip central directory is out of bounds');

  const entries: CentralEntry[] = [];
  let offset = directoryOffset;
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > eocd || data.readUInt32LE(offset) !== CENTRAL) throw new ZipError(400, 'Zip central directory is corrupt');
    const nameLength = data.readUInt16LE(offset + 28);
    const extraLength = data.readUInt16LE(offset + 30);
    const commentLength = data.readUInt16LE(offset + 32);
    if (offset + 46 + nameLength > eocd) throw new ZipError(400, 'Zip central directory is corrupt');
    const flags = data.readUInt16LE(offset + 8);
    const rawName = data.subarray(offset + 46, offset + 46 + nameLength);
    const name = flags & 0x800 ? rawName.toString('utf8') : rawName.toString('latin1');
    const entry: CentralEntry = {
      name,
      madeBy: data.readUInt16LE(offset + 4),
      flags,
      method: data.readUInt16LE(offset + 10),
      crc: data.readUInt32LE(offset + 16),
      compressedSize: data.readUInt32LE(offset + 20),
      size: data.readUInt32LE(offset + 24),
      externalAttributes: data.readUInt32LE(offset + 38),
      localOffset: data.readUInt32LE(offset + 42),
    };
    offset += 46 + nameLength + extraLength + commentLength;

    checkEntryName(name);
    const isDirectory = name.endsWith('/');
    const unixMode = entry.madeBy >> 8 === 3 ? entry.externalAttributes >>> 16 : 0;
    if ((unixMode & 0o170000) === 0o120000) throw new ZipError(422, `Zip entry "${name}" is a symbolic link`, name);
    if (entry.flags & 0x1) throw new ZipError(422, `Zip entry "${name}" is encrypted`, name);
    if (isDirectory) continue;
    if (entry.method !== 0 && entry.method !== 8) throw new ZipError(422, `Zip entry "${name}" uses compression method ${entry.method}; only stored and deflate are supported`, name);
    if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff) throw new ZipError(413, 'ZIP64 archives are not accepted (bundles are far smaller)', name);
    if (entry.size > limits.maxEntryBytes) {
      throw new ZipError(413, `Zip entry "${name}" is ${entry.size} bytes uncompressed; at most ${limits.maxEntryBytes} are allowed`, name);
    }
    total += entry.size;
    if (total > limits.maxTotalBytes) throw new ZipError(413, `Zip expands to more than ${limits.maxTotalBytes} bytes`, name);
    if (entry.size > limits.ratioFloorBytes && entry.size > entry.compressedSize * limits.maxRatio) {
      throw new ZipError(413, `Zip entry "${name}" has a compression ratio above ${limits.maxRatio}:1`, name);
    }
    if (entry.method === 0 && entry.size !== entry.compressedSize) throw new ZipError(400, `Zip entry "${name}" is corrupt`, name);
    entries.push(entry);
  }
  const names = new Set<string>();
  for (const entry of entries) {
    if (names.has(entry.name)) throw new ZipError(422, `Zip has two entries named "${entry.name}"`, entry.name);
    names.add(entry.name);
  }
  return entries;
}

function inflateEntry(data: Buffer, entry: CentralEntry): Uint8Array {
  const local = entry.localOffset;
  if (local + 30 > data.length || data.readUInt32LE(local) !== LOCAL) throw new ZipError(400, `Zip entry "${entry.name}" is corrupt`, entry.name);
  const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
  const end = start + entry.compressedSize;
  if (end > data.length) throw new ZipError(400, `Zip entry "${entry.name}" is truncated`, entry.name);
  const compressed = data.subarray(start, end);
  let content: Uint8Array;
  if (entry.method === 0) content = compressed;
  else {
    // One byte more than declared: an entry that inflates past its declared size is caught, not grown.
    const out = new Uint8Array(entry.size + 1);
    try {
      content = zipLibrary().inflateSync(compressed, { out });
    } catch {
      throw new ZipError(400, `Zip entry "${entry.name}" is corrupt`, entry.name);
    }
    if (content.length !== entry.size) throw new ZipError(400, `Zip entry "${entry.name}" does not match its declared size`, entry.name);
  }
  if (crc32(content) >>> 0 !== entry.crc >>> 0) throw new ZipError(400, `Zip entry "${entry.name}" fails its CRC check`, entry.name);
  return content;
}

/** Reads every file of a zip (directories skipped) within the limits. */
export function readZip(zip: Buffer, limits: ZipLimits = BUNDLE_LIMITS): Map<string, Uint8Array> {
  if (zip.length > limits.maxZipBytes) throw new ZipError(413, `Zip file exceeds ${limits.maxZipBytes} bytes`);
  if (zip.length < 22) throw new ZipError(400, 'Not a zip file');
  const entries = readCentralDirectory(zip, limits);
  const files = new Map<string, Uint8Array>();
  for (const entry of entries) files.set(entry.name, inflateEntry(zip, entry));
  return files;
}

/** Builds a zip from path -> content, with a fixed timestamp so the same bundle gives the same bytes. */
export function writeZip(files: Map<string, Uint8Array | string>): Buffer {
  const tree: Fflate.Zippable = {};
  const mtime = new Date('2020-01-01T00:00:00Z');
  for (const [path, content] of files) {
    tree[path] = [typeof content === 'string' ? Buffer.from(content, 'utf8') : content, { level: 6, mtime }];
  }
  return Buffer.from(zipLibrary().zipSync(tree));
}
