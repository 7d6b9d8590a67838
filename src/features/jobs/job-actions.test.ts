import { describe, expect, it } from 'vitest';
import { actionsFor } from './job-actions.ts';

describe('status → actions table', () => {
  it.each([
    ['Queued', true, ['cancel', 'remove']],
    ['Running', true, ['cancel', 'remove']],
    ['Succeeded', true, ['download', 'delete', 'remove']],
    ['Succeeded', false, ['delete', 'remove']],
    ['Failed', false, ['delete', 'remove']],
    ['Canceled', false, ['delete', 'remove']],
    ['Unknown', false, ['remove']],
    ['Gone', false, ['remove']],
    ['Forbidden', false, ['remove']],
  ] as const)('a %s job (output available: %s) offers %j', (state, outputAvailable, expected) => {
    expect(actionsFor({ state, outputAvailable, inBatch: true })).toEqual(expected);
  });

  it('offers Download only when the output exists, even for a job claiming one while running', () => {
    expect(actionsFor({ state: 'Running', outputAvailable: true, inBatch: true })).not.toContain('download');
  });

  it('offers no Remove outside a batch', () => {
    expect(actionsFor({ state: 'Gone', outputAvailable: false, inBatch: false })).toEqual([]);
    expect(actionsFor({ state: 'Failed', outputAvailable: false, inBatch: false })).toEqual(['delete']);
  });
});
