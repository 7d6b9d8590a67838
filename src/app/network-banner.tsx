import { useCallback, useSyncExternalStore } from 'react';
import { onlineManager, useQueryClient } from '@tanstack/react-query';
import { ErrorCode } from '../../contract/errors.ts';
import { Banner } from '../components/ui/banner.tsx';
import { ERROR_MESSAGES } from '../lib/error-messages.ts';
import { ApiError } from '../lib/api-client.ts';

/**
 * One banner when the dashboard server cannot be reached: the last data stays on screen, and the queries'
 * next polls (or the browser coming back online) recover on their own.
 */
export function NetworkBanner() {
  const lost = useConnectionLost();
  if (!lost) return null;
  const { message, next } = ERROR_MESSAGES[ErrorCode.networkError];
  return (
    <Banner tone="warning" title={message}>
      {next}
    </Banner>
  );
}

/**
 * Whether the dashboard server is out of reach: the browser is offline or some query's last fetch got no answer.
 * An open event stream may not notice for a while, so pages that show live data ask this too.
 */
export function useConnectionLost(): boolean {
  const queryClient = useQueryClient();
  const cache = queryClient.getQueryCache();
  const subscribe = useCallback(
    (listener: () => void) => {
      const unsubscribeCache = cache.subscribe(listener);
      const unsubscribeOnline = onlineManager.subscribe(listener);
      return () => {
        unsubscribeCache();
        unsubscribeOnline();
      };
    },
    [cache],
  );
  return useSyncExternalStore(
    subscribe,
    () =>
      !onlineManager.isOnline() ||
      cache.getAll().some((query) => query.state.error instanceof ApiError && query.state.error.status === 0),
    () => false,
  );
}
