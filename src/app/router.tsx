import { createBrowserRouter } from 'react-router-dom';
import { paths } from '../config/paths.ts';
import { Layout } from './layout.tsx';
import { BatchesRoute } from './routes/batches.tsx';
import { BatchRoute } from './routes/batch.tsx';
import { NotFoundRoute } from './routes/not-found.tsx';

// The job page is lazy: the initial bundle holds only what the batches and batch pages need.
const lazyJob = () => import('./routes/job.tsx').then((m) => ({ Component: m.JobRoute }));

export function createRouter() {
  return createBrowserRouter([
    {
      Component: Layout,
      children: [
        { path: paths.batches.path, Component: BatchesRoute },
        { path: paths.batch.path, Component: BatchRoute },
        { path: paths.batchJob.path, lazy: lazyJob },
        { path: paths.job.path, lazy: lazyJob },
        { path: '*', Component: NotFoundRoute },
      ],
    },
  ]);
}
