import { Link } from 'react-router-dom';
import { buttonClasses } from '../../components/ui/button.tsx';
import { paths } from '../../config/paths.ts';

export function NotFoundRoute() {
  return (
    <section className="mx-auto mt-16 max-w-md text-center">
      <title>Not found · Convert batches</title>
      <h1 className="text-lg font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">There is nothing at this address.</p>
      <Link to={paths.batches.getHref()} className={`${buttonClasses('secondary')} mt-4`}>
        Back to batches
      </Link>
    </section>
  );
}
