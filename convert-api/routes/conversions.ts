import type { FastifyInstance } from 'fastify';
import type { ConversionsResponse } from '../../contract/job.ts';
import type { JobService } from '../service.ts';

export async function conversionRoutes(app: FastifyInstance, service: JobService): Promise<void> {
  const { converters, maxFileMb } = service.options;
  const body: ConversionsResponse = {
    conversions: converters.map((c) => ({
      id: c.id,
      category: c.category,
      sourceFormats: c.sourceFormats,
      targetFormat: c.targetFormat,
      outputExtension: c.outputExtension,
      creditCost: c.creditCost,
      maxFileBytes: maxFileMb * 1024 * 1024,
    })),
  };
  app.get('/convert/conversions', async () => body);
}
