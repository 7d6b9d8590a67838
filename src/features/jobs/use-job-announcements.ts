import { useEffect, useRef } from 'react';
import type { TrackedState } from '../../../contract/dashboard-api.ts';
import { announcer } from '../../lib/announcer.ts';

export interface JobNews {
  /** False until the job's record has arrived: the placeholder state before it is not the job's. */
  loaded: boolean;
  jobId: string;
  name: string;
  state: TrackedState;
  /** A sentence for a failure (the error's plain message), said with "failed". */
  failure: string | null;
  /** The output can be downloaded but not for long (and is neither kept nor downloaded yet). */
  expiringSoon: boolean;
  outputExpired: boolean;
}

/** What a change of the job's state says; states that are steps on the way (Queued, Running) say nothing. */
function stateSentence({ name, state, failure }: JobNews): string | null {
  switch (state) {
    case 'Succeeded':
      return `${name} finished: its output is ready.`;
    case 'Failed':
      return `${name} failed${failure ? `: ${failure}` : '.'}`;
    case 'Canceled':
      return `${name} was canceled.`;
    case 'Gone':
      return `${name} is gone: the Convert API no longer knows it.`;
    default:
      return null;
  }
}

/**
 * The job page's news for screen reader users, through the page's one throttled announcer (the batch page's
 * too): the job finished, failed or was canceled, its output expires soon, its output expired. The first look at
 * a job is not news.
 */
export function useJobAnnouncements(news: JobNews): void {
  const seen = useRef<JobNews | null>(null);
  const { loaded, jobId, name, state, failure, expiringSoon, outputExpired } = news;
  useEffect(() => {
    if (!loaded) return;
    const now = { loaded, jobId, name, state, failure, expiringSoon, outputExpired };
    const before = seen.current;
    seen.current = now;
    if (!before || before.jobId !== jobId) return;
    if (state !== before.state) {
      const sentence = stateSentence(now);
      if (sentence) announcer.say(sentence);
    }
    if (expiringSoon && !before.expiringSoon && !outputExpired) {
      announcer.say(`The output of ${name} expires soon: download it or keep a copy.`);
    }
    if (outputExpired && !before.outputExpired) announcer.say(`The output of ${name} expired: it can no longer be downloaded.`);
  }, [loaded, jobId, name, state, failure, expiringSoon, outputExpired]);
}
