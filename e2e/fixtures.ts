/**
 * Playwright fixtures: which stack a spec talks to (`test.use({ stack: 'wrongKey' })`), its base URL as the
 * page's baseURL, and a small client of the dashboard's own /api for setting things up the way a script would
 * (the flows under test are always driven through the page).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test as base, expect, request as playwrightRequest, type APIRequestContext } from '@playwright/test';
import type { BatchSnapshot, CreateBatchResponse, SubmitFileResponse } from '../contract/dashboard-api.ts';
import type { JobStatusResponse } from '../contract/job.ts';
import { STACKS, type StackName } from './stacks.ts';

const SAMPLES = path.resolve(import.meta.dirname, '..', 'samples');

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.pdf': 'application/pdf',
  '.mp4': 'video/mp4',
  '.svg': 'image/svg+xml',
  '.mp3': 'audio/mpeg',
};

export interface DashboardApi {
  /** The stack's origin, e.g. http://127.0.0.1:4310. */
  readonly base: string;
  createBatch(name: string, ids?: string): Promise<CreateBatchResponse>;
  /** Submits one of the repo's sample files to a batch, as the upload panel does; returns the upstream job id. */
  submitSample(batchId: string, sample: string, targetFormat: string): Promise<string>;
  snapshot(batchId: string): Promise<BatchSnapshot>;
  /** The Convert API's status of a job, through the dashboard's same-origin proxy. */
  jobStatus(jobId: string): Promise<{ status: number; body: JobStatusResponse | null }>;
  /** DELETE through the proxy, as another client of the same account would. */
  deleteJob(jobId: string): Promise<number>;
  /** POST …/cancel through the proxy. */
  cancelJob(jobId: string): Promise<number>;
  /** The batch's "Keep outputs" switch. */
  setKeepOutputs(batchId: string, keep: boolean): Promise<void>;
}

async function ok<T>(response: Awaited<ReturnType<APIRequestContext['get']>>, what: string): Promise<T> {
  if (!response.ok()) throw new Error(`${what}: HTTP ${response.status()} ${await response.text()}`);
  return (await response.json()) as T;
}

function dashboardApi(ctx: APIRequestContext, baseUrl: string): DashboardApi {
  return {
    base: baseUrl,
    async createBatch(name, ids) {
      const response = await ctx.post('/api/batches', { data: ids === undefined ? { name } : { name, ids } });
      return ok<CreateBatchResponse>(response, `POST /api/batches (${name})`);
    },
    async submitSample(batchId, sample, targetFormat) {
      const buffer = await readFile(path.join(SAMPLES, sample));
      const query = new URLSearchParams({ targetFormat, fileName: sample });
      const response = await ctx.post(`/api/batches/${batchId}/files?${query}`, {
        multipart: { file: { name: sample, mimeType: MIME[path.extname(sample)] ?? 'application/octet-stream', buffer } },
      });
      const body = await ok<SubmitFileResponse>(response, `POST /api/batches/${batchId}/files (${sample} → ${targetFormat})`);
      // The server spools the file and answers at once; its feeder sends it. Wait for the upstream job's id.
      const submissionId = body.job.id;
      for (;;) {
        const snapshot = await ok<BatchSnapshot>(await ctx.get(`/api/batches/${batchId}`), `GET /api/batches/${batchId}`);
        const row = snapshot.jobs.find((j) => j.submission?.id === submissionId);
        if (row && row.id !== submissionId) return row.id;
        if (row && row.state !== 'Waiting' && row.state !== 'Sending') throw new Error(`${sample} was not accepted: ${JSON.stringify(row.problem)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async snapshot(batchId) {
      return ok<BatchSnapshot>(await ctx.get(`/api/batches/${batchId}`), `GET /api/batches/${batchId}`);
    },
    async jobStatus(jobId) {
      const response = await ctx.get(`/convert/job/${jobId}`);
      return { status: response.status(), body: response.ok() ? ((await response.json()) as JobStatusResponse) : null };
    },
    async deleteJob(jobId) {
      return (await ctx.delete(`/convert/job/${jobId}`)).status();
    },
    async cancelJob(jobId) {
      return (await ctx.post(`/convert/job/${jobId}/cancel`)).status();
    },
    async setKeepOutputs(batchId, keep) {
      await ok(await ctx.put(`/api/batches/${batchId}/keep-outputs`, { data: { keep } }), `PUT keep-outputs (${keep})`);
    },
  };
}

interface Fixtures {
  /** Which of the e2e stacks this spec drives. */
  stack: StackName;
  api: DashboardApi;
}

export const test = base.extend<Fixtures>({
  stack: ['main', { option: true }],
  baseURL: async ({ stack }, use) => {
    await use(STACKS[stack]);
  },
  api: async ({ stack }, use) => {
    const origin = STACKS[stack];
    // Writes must look same-origin with the custom header, like the app's own fetches (server/security.ts).
    const ctx = await playwrightRequest.newContext({
      baseURL: origin,
      extraHTTPHeaders: { Origin: origin, 'X-Requested-With': 'e2e' },
    });
    await use(dashboardApi(ctx, origin));
    await ctx.dispose();
  },
});

export { expect };

/** A name no other test (or earlier run against a reused server) has used. */
export function uniqueName(prefix: string): string {
  return `${prefix} ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
