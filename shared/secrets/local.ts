// Local secret store for `npm start` and tests: one JSON file, readable only by
// its owner, written atomically. The data directory's lock guarantees a single
// writer, so the file is read once and then served from memory.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SecretBackend } from './store.js';

export class FileSecretBackend implements SecretBackend {
  private values: Map<string, string> | undefined;

  constructor(private readonly file: string) {}

  private load(): Map<string, string> {
    if (!this.values) {
      this.values = new Map(
        existsSync(this.file) ? Object.entries(JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>) : [],
      );
    }
    return this.values;
  }

  private save(): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(Object.fromEntries(this.load()), null, 2), { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }

  async get(name: string): Promise<string | undefined> {
    return this.load().get(name);
  }

  async put(name: string, value: string): Promise<void> {
    this.load().set(name, value);
    this.save();
  }

  async delete(name: string): Promise<void> {
    if (this.load().delete(name)) this.save();
  }
}

/** In-memory backend for unit tests that need no file. */
export class MemorySecretBackend implements SecretBackend {
  readonly values = new Map<string, string>();
  async get(name: string) {
    return this.values.get(name);
  }
  async put(name: string, value: string) {
    this.values.set(name, value);
  }
  async delete(name: string) {
    this.values.delete(name);
  }
}
