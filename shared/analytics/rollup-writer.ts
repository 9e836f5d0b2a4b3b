// Writes a container's rollup rows into the table, exactly once however often
// a flush is retried. DynamoDB's ADD is atomic, but a retried ADD would count
// twice, and dynalite has no transactions; so every container numbers its
// flushes (1, 2, 3, ...) and each UpdateItem carries a marker attribute of its
// container, `f_{container}`, set to the flush's number in the same atomic
// write as the ADDs, conditioned on the marker being lower. A write that
// happened but whose answer was lost fails its condition when retried: it is
// already counted. A container applies its flushes in order (a failed flush is
// retried before the next one starts), so "lower" means "not yet applied".
// One flush id per container and item keeps the markers bounded by the number
// of containers that ever wrote a row, not by the number of flushes.
import type { Table } from '../store/table.js';
import { rollupKeys } from '../store/keys.js';
import { bucketLabel, bucketPeriod, rowAdditions, type RollupRow, type RowKey } from './rollup.js';

/** ADD terms per UpdateItem: keeps the expression well under DynamoDB's 4 KB limit. */
export const MAX_TERMS_PER_WRITE = 200;
/** Rows written at once. */
const CONCURRENCY = 8;

export interface FlushId {
  /** This container's id (random per process). */
  container: string;
  /** This flush's number in the container: increases by one per flush. */
  sequence: number;
}

/**
 * Applies every row of one flush; throws if any write failed (the caller
 * retries the whole flush with the same id: rows already applied are skipped).
 * Returns how many writes were already applied (retries of earlier attempts).
 */
export async function applyRows(table: Table, rows: readonly { key: RowKey; row: RollupRow }[], id: FlushId, expiresAt: (row: RollupRow) => number): Promise<{ applied: number; skipped: number }> {
  let applied = 0;
  let skipped = 0;
  const writes = rows.flatMap(({ key, row }) => {
    const additions = rowAdditions(row);
    const chunks: [string, number][][] = [];
    for (let i = 0; i < additions.length; i += MAX_TERMS_PER_WRITE) chunks.push(additions.slice(i, i + MAX_TERMS_PER_WRITE));
    return chunks.map((chunk, index) => ({ key, row, chunk, marker: index === 0 ? `f_${id.container}` : `f_${id.container}_${index}` }));
  });
  let failure: unknown;
  let next = 0;
  const worker = async () => {
    while (next < writes.length) {
      const { key, row, chunk, marker } = writes[next++]!;
      try {
        const keys = rollupKeys(key.organization, key.environment, key.granularity, bucketPeriod(key.granularity, key.start), bucketLabel(key.granularity, key.start), key.tuple);
        const done = await table.updateIf(
          keys,
          {
            add: Object.fromEntries(chunk),
            set: { [marker]: id.sequence },
            setIfAbsent: {
              type: 'stats-rollup',
              granularity: key.granularity,
              start: key.start,
              d: row.dimensions,
              ...(row.sealedClientId ? { ck: row.sealedClientId } : {}),
              expiresAt: expiresAt(row),
            },
          },
          { expression: 'attribute_not_exists(#marker) OR #marker < :sequence', names: { '#marker': marker }, values: { ':sequence': id.sequence } },
        );
        if (done) applied++;
        else skipped++;
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, writes.length) }, worker));
  if (failure) throw failure;
  return { applied, skipped };
}
