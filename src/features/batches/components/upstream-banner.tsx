import type { UpstreamHealth } from '../../../../contract/dashboard-api.ts';
import { Banner } from '../../../components/ui/banner.tsx';
import { describeErrorCode, ERROR_MESSAGES } from '../../../lib/error-messages.ts';
import { ErrorCode } from '../../../../contract/errors.ts';

export const UNAUTHORIZED_TITLE = `${ERROR_MESSAGES[ErrorCode.apiKeyInvalid].message} ${ERROR_MESSAGES[ErrorCode.apiKeyInvalid].next}`;

/**
 * A problem with the upstream as a whole, shown once for the page instead of as an error on every row.
 */
export function UpstreamBanner({ upstream }: { upstream: UpstreamHealth }) {
  switch (upstream.state) {
    case 'ok':
    case 'unknown':
      return null;
    case 'unauthorized':
      return <Banner title={UNAUTHORIZED_TITLE} />;
    case 'restarting':
    case 'unreachable': {
      const { message, next } = describeErrorCode(upstream.error?.error ?? ErrorCode.upstreamUnreachable, upstream.error?.detail ?? null);
      return (
        <Banner tone="warning" title={message}>
          {next}
        </Banner>
      );
    }
    case 'rate_limited':
      return (
        <Banner tone="info" title={ERROR_MESSAGES[ErrorCode.rateLimited].message}>
          {ERROR_MESSAGES[ErrorCode.rateLimited].next}
        </Banner>
      );
  }
}
