import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../contract/errors.ts';
import { ApiError } from './api-client.ts';
import { ERROR_MESSAGES, describeError, describeErrorCode } from './error-messages.ts';

describe('error messages', () => {
  it.each(Object.values(ErrorCode))('gives %s a sentence and a next step', (code) => {
    const { message, next } = describeErrorCode(code);
    expect(message).toMatch(/^[A-Z].*\.$/);
    expect(next).toMatch(/^[A-Z].*\.$/);
    expect(ERROR_MESSAGES[code]).toBeDefined();
  });

  it('tells the operator to fix FAST_API_KEY when the upstream refuses the key', () => {
    expect(describeErrorCode('api_key.invalid_or_ip_not_allowed').next).toBe('Set FAST_API_KEY and restart the server.');
  });

  it('shows an unknown code with its detail and HTTP status instead of failing', () => {
    const { message } = describeError(new ApiError(402, 'entitlements.insufficient_credits', 'Not enough credits'));
    expect(message).toContain('Not enough credits');
    expect(message).toContain('entitlements.insufficient_credits');
    expect(message).toContain('402');
  });
});
