// The name server's KV config: namespace -> key -> value (ORDER_TOPIC_CONFIG holds
// "brokerA:4;brokerB:4" per ordered topic). Every change rewrites the JSON file whole through a
// temporary file + rename, so a crash leaves either the old or the new table, never half of one.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const NAMESPACE_ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

/** Bounds, so one client cannot grow the table without limit. */
const namespacesMax = 1024;
const keysPerNamespaceMax = 100_000;

export class KvConfigManager {
  private readonly table = new Map<string, Map<string, string>>();

  constructor(readonly path: string) {}

  /** Reads the file written by persist(); a missing file is an empty table. */
  load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (text.trim() === '') return;
    let parsed: { configTable?: Record<string, Record<string, string>> };
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      // Refuse to start rather than overwrite the file with an empty table on the next put.
      throw new Error(`KV config file ${this.path} is not valid JSON (${(e as Error).message})`);
    }
    this.table.clear();
    for (const [ns, kv] of Object.entries(parsed.configTable ?? {})) {
      this.table.set(ns, new Map(Object.entries(kv).map(([k, v]) => [k, String(v)])));
    }
  }

  put(namespace: string, key: string, value: string): void {
    let kv = this.table.get(namespace);
    if (!kv) {
      if (this.table.size >= namespacesMax) throw new Error(`too many KV namespaces (max ${namespacesMax})`);
      kv = new Map();
      this.table.set(namespace, kv);
    }
    if (!kv.has(key) && kv.size >= keysPerNamespaceMax) {
      throw new Error(`too many keys in KV namespace ${namespace} (max ${keysPerNamespaceMax})`);
    }
    kv.set(key, value);
    this.persist();
  }

  get(namespace: string, key: string): string | null {
    return this.table.get(namespace)?.get(key) ?? null;
  }

  delete(namespace: string, key: string): void {
    const kv = this.table.get(namespace);
    if (!kv || !kv.delete(key)) return;
    if (kv.size === 0) this.table.delete(namespace);
    this.persist();
  }

  /** The namespace's entries in insertion order, or null when it has none. */
  list(namespace: string): Map<string, string> | null {
    const kv = this.table.get(namespace);
    return kv && kv.size > 0 ? new Map(kv) : null;
  }

  private persist(): void {
    const configTable: Record<string, Record<string, string>> = {};
    for (const [ns, kv] of this.table) configTable[ns] = Object.fromEntries(kv);
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ configTable }, null, 2) + '\n');
    renameSync(tmp, this.path);
  }
}
