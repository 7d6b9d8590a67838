import fs from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../contract/errors.ts';
import { normalizeJobId } from '../../contract/job-id.ts';
import { isTerminal } from '../../contract/status.ts';
import { ApiError } from '../api-error.ts';
import { attachment } from '../content-disposition.ts';
import type { JobService } from '../service.ts';
import type { JobRecord } from '../store.ts';

const NOT_FOUND = () => new ApiError(404, ErrorCode.jobsNotFound, null);

/** The caller's job: anything but a well-formed id is simply unknown, and never reaches the filesystem. */
function ownJob(request: FastifyRequest, service: JobService): JobRecord {
  const id = normalizeJobId((request.params as { id: string }).id);
  if (!id) throw NOT_FOUND();
  const job = service.find(id);
  if (!job) throw NOT_FOUND();
  if (job.account !== request.account) throw new ApiError(403, ErrorCode.jobsForbidden, 'This job belongs to another account.');
  return job;
}

export async function jobRoutes(app: FastifyInstance, service: JobService): Promise<void> {
  app.get('/convert/job/:id', async (request) => {
    const job = ownJob(request, service);
    const allowed = service.pollBuckets.take(`${request.apiKey}:${job.id}`);
    if (!allowed.ok) {
      throw new ApiError(429, ErrorCode.rateLimited, 'Poll this job at most once per second.', {}, {
        'retry-after': String(allowed.retryAfterSeconds),
      });
    }
    return service.status(job);
  });

  app.get('/convert/job/:id/download', async (request, reply) => {
    const job = ownJob(request, service);
    if (job.status === 'Queued' || job.status === 'Running') {
      throw new ApiError(409, ErrorCode.jobsNotReady, 'Job is still processing or waiting to start.');
    }
    if (job.status !== 'Succeeded') {
      throw new ApiError(409, ErrorCode.jobsNotReady, `The job ended ${job.status}: there is no output to download.`);
    }
    const output = service.output(job);
    if (!output) throw new ApiError(410, ErrorCode.jobsExpired, 'The output expired and was deleted.');
    let stream: fs.ReadStream;
    try {
      // Opened before answering so that a file removed meanwhile is a 410, not a broken 200.
      const handle = await fs.promises.open(service.files.output(job.id));
      stream = handle.createReadStream();
    } catch {
      throw new ApiError(410, ErrorCode.jobsExpired, 'The output expired and was deleted.');
    }
    return reply
      .header('content-type', output.contentType)
      .header('content-disposition', attachment(output.fileName))
      .header('content-length', String(job.outputBytes))
      .send(stream);
  });

  app.post('/convert/job/:id/cancel', async (request, reply) => {
    const job = ownJob(request, service);
    if (isTerminal(job.status)) {
      throw new ApiError(409, ErrorCode.jobsNotCancellable, `The job already ended ${job.status}.`);
    }
    service.cancel(job);
    return reply.code(202).header('location', `/convert/job/${job.id}`).send();
  });

  app.delete('/convert/job/:id', async (request, reply) => {
    const job = ownJob(request, service);
    if (!isTerminal(job.status)) {
      throw new ApiError(409, ErrorCode.jobsNotDeletable, 'The job is still queued or running: cancel it first.');
    }
    await service.delete(job);
    return reply.code(204).send();
  });
}
