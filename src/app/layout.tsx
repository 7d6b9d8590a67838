import { useRef } from 'react';
import { Link, Outlet, useLocation } from 'react-router-dom';
import { focusRing } from '../components/ui/button.tsx';
import { ErrorBoundary } from '../components/ui/error-boundary.tsx';
import { LiveRegion } from '../components/ui/live-region.tsx';
import { paths } from '../config/paths.ts';
import { useFocusKeeper } from './focus-keeper.ts';
import { NetworkBanner } from './network-banner.tsx';

export function Layout() {
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  useFocusKeeper(main);
  return (
    // From the tablet width up the app is one screen tall and the batch page's table scrolls inside it; on a
    // phone the page scrolls as a whole (the table keeps a screenful of its own).
    <div className="flex min-h-dvh flex-col md:h-dvh">
      <a
        href="#main"
        // Focus moves by script: a fragment in the address would be taken for a route by the router.
        onClick={(event) => {
          event.preventDefault();
          main.current?.focus();
        }}
        className={`sr-only rounded bg-white px-3 py-2 text-sm font-medium text-slate-900 focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 dark:bg-slate-900 dark:text-slate-100 ${focusRing}`}>
        Skip to content
      </a>
      <header className="flex h-11 shrink-0 items-center gap-4 border-b border-slate-200 px-3 sm:px-5 dark:border-slate-800">
        <Link to={paths.batches.getHref()} className={`flex items-center gap-2 rounded text-sm font-semibold ${focusRing}`}>
          <img src="/favicon.svg" alt="" className="size-5" />
          Convert batches
        </Link>
      </header>
      <div className="px-3 pt-3 empty:hidden sm:px-5">
        <NetworkBanner />
      </div>
      <LiveRegion />
      <main ref={main} id="main" tabIndex={-1} className="flex flex-1 flex-col px-3 pt-2 pb-3 outline-none sm:px-5 md:min-h-0 md:overflow-y-auto">
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
    </div>
  );
}
