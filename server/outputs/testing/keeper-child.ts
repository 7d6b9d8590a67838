/**
 * The batch service alone in a process, keeping one job's output, so a test can `kill -9` it mid-keep.
 * Env: UPSTREAM_URL, DATA_DIR, JOB_ID, OUTPUT_BYTES. Prints `keeping` once the job is recorded Succeeded.
 */
import { createBatchService } from '../../batches/service.ts';
import { createUpstreamClient } from '../../upstream.ts';
import { statusBody } from '../../tracker/test-fixtures.ts';

const upstream = createUpstreamClient({ base: process.env.UPSTREAM_URL!, apiKey: 'test-key' });
const service = createBatchService({ dataDir: process.env.DATA_DIR!, upstream, retentionSeconds: 3600, samplesDir: '.' });
const jobId = process.env.JOB_ID!;
const batch = service.store.createBatch('Crash', Date.now());
service.store.addJobs(batch.id, [jobId], Date.now());
service.start();
const body = statusBody(jobId, 'Succeeded');
service.observe({ jobId, action: 'status', statusCode: 200, body: { ...body, metrics: { ...body.metrics, outputBytes: Number(process.env.OUTPUT_BYTES) } } });
console.log('keeping');
