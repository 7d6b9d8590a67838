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
  ] as const)('a %s job (has an output: %s) offers %j', (state, hasOutput, expected) => {
    expect(actionsFor({ state, hasOutput, outputExpired: false, inBatch: true })).toEqual(expected);
  });

  it('offers Download only when the output exists, even for a job claiming one while running', () => {
    expect(actionsFor({ state: 'Running', hasOutput: true, outputExpired: false, inBatch: true })).not.toContain('download');
  });

  it('offers no Download once the output expired, even if the last status still lists it', () => {
    expect(actionsFor({ state: 'Succeeded', hasOutput: true, outputExpired: true, inBatch: true })).toEqual(['delete', 'remove']);
  });

  it('offers no Remove outside a batch', () => {
    expect(actionsFor({ state: 'Gone', hasOutput: false, outputExpired: false, inBatch: false })).toEqual([]);
    expect(actionsFor({ state: 'Failed', hasOutput: false, outputExpired: false, inBatch: false })).toEqual(['delete']);
  });
});
