// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest';
import type { CreateBatchResponse } from '../../contract/dashboard-api.ts';
import { json, startServiceHarness, type ServiceHarness } from '../batches/test-harness.ts';
import { jobId } from '../tracker/test-fixtures.ts';

let h: ServiceHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a big batch's insight", () => {
  it('is read in steps that let other work run between them, and tabs asking at once share one computation', async () => {
    h = await startServiceHarness();
    const res = await h.app.inject({ method: 'POST', url: '/api/batches', headers: json, payload: { name: 'Big', ids: Array.from({ length: 5_000 }, (_, i) => jobId(i)).join('\n') } });
    const batchId = res.json<CreateBatchResponse>().batch.id;
    let otherWorkRan = false;
    setImmediate(() => (otherWorkRan = true));
    const first = h.service.history.insight(batchId);
    const second = h.service.history.insight(batchId);
    // Nothing of the batch was read to the end synchronously: the caller's turn ends before the insight is done.
    expect(otherWorkRan).toBe(false);
    const [a, b] = await Promise.all([first, second]);
    expect(otherWorkRan).toBe(true);
    expect(b).toBe(a);
    expect(a.stalled).toEqual([]);
  });
});
