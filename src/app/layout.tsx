import { Link, Outlet, useLocation } from 'react-router-dom';
import { focusRing } from '../components/ui/button.tsx';
import { ErrorBoundary } from '../components/ui/error-boundary.tsx';
import { paths } from '../config/paths.ts';
import { NetworkBanner } from './network-banner.tsx';

export function Layout() {
  const location = useLocation();
  return (
    <div className="flex h-screen min-w-[1024px] flex-col">
      <header className="flex h-12 shrink-0 items-center gap-4 border-b border-slate-200 px-5 dark:border-slate-800">
        <Link to={paths.batches.getHref()} className={`flex items-center gap-2 rounded text-sm font-semibold ${focusRing}`}>
          <img src="/favicon.svg" alt="" className="size-5" />
          Convert batches
        </Link>
      </header>
      <div className="px-5 pt-3 empty:hidden">
        <NetworkBanner />
      </div>
      <main className="flex min-h-0 flex-1 flex-col px-5 py-4">
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </div>
  );
}
