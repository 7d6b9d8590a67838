// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answers, startFakeUpstream, type FakeUpstream } from '../testing/fake-upstream.ts';
import { FakeClock } from '../tracker/fake-clock.ts';
import type { BatchEvent } from '../history/events.ts';
import { createNotifier, webhookMessage, type WebhookMessage } from './notifier.ts';

let receiver: FakeUpstream | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function finished(batchId = 'b1', at = Date.UTC(2026, 11, 3, 16, 0)): BatchEvent {
  return { kind: 'batch_finished', batchId, batchName: 'Night run', at, jobCount: 3, counts: { Succeeded: 2, Failed: 1 } };
}

function body(i: number): WebhookMessage {
  return JSON.parse(receiver!.requests[i].bodyText) as WebhookMessage;
}

describe('webhook notifier', () => {
  it('posts a Slack/Mattermost-compatible message with a link to the batch', async () => {
    receiver = await startFakeUpstream();
    const clock = new FakeClock();
    const notifier = createNotifier({ urls: [`${receiver.url}/hooks/secret-token`], publicUrl: 'https://dash.example.test/', clock });
    expect(notifier.notify(finished())).toBe('sent');
    await notifier.settled();
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0].headers['content-type']).toBe('application/json');
    const message = body(0);
    expect(message.text).toBe('Batch "Night run" finished: 2 succeeded, 1 failed, 0 canceled of 3. <https://dash.example.test/batches/b1|Open the batch>');
    expect(message.attachments[0]).toMatchObject({ title: 'Batch finished', title_link: 'https://dash.example.test/batches/b1' });
    expect(message.attachments[0].fields).toContainEqual({ title: 'Jobs', value: '2 succeeded, 1 failed, 0 canceled of 3', short: true });
    expect(message.event).toMatchObject({ kind: 'batch_finished', batchId: 'b1' });
  });

  it('has no link without PUBLIC_URL', () => {
    const message = webhookMessage(finished(), null);
    expect(message.text).not.toMatch(/http/);
    expect(message.attachments[0].title_link).toBeUndefined();
  });

  it('retries a failing receiver after 1 s and 2 s, then stops when it answers', async () => {
    receiver = await startFakeUpstream();
    let calls = 0;
    const ok = answers.json(200, { ok: true });
    const down = answers.json(503, { error: 'down' });
    receiver.handle((req, res, rec) => (++calls <= 2 ? down(req, res, rec) : ok(req, res, rec)));
    const clock = new FakeClock();
    const notifier = createNotifier({ urls: [receiver.url], publicUrl: null, clock });
    notifier.notify(finished());
    await vi.waitFor(() => expect(clock.nextTimerAt()).toBe(clock.now() + 1000));
    expect(receiver.requests).toHaveLength(1);
    await clock.advance(999);
    expect(receiver.requests).toHaveLength(1);
    await clock.advance(1);
    await vi.waitFor(() => expect(clock.nextTimerAt()).toBe(clock.now() + 2000));
    expect(receiver.requests).toHaveLength(2);
    await clock.advance(2000);
    await notifier.settled();
    expect(receiver.requests).toHaveLength(3);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('gives up after 5 attempts, and does not retry a 4xx other than 408 and 429', async () => {
    receiver = await startFakeUpstream();
    receiver.handle(answers.json(500, {}));
    const clock = new FakeClock();
    const log: string[] = [];
    const notifier = createNotifier({ urls: [`${receiver.url}/x?token=abc`], publicUrl: null, clock, log: (m) => log.push(m) });
    notifier.notify(finished());
    for (const wait of [1000, 2000, 4000, 8000]) {
      await vi.waitFor(() => expect(clock.nextTimerAt()).toBe(clock.now() + wait));
      await clock.advance(wait);
    }
    await notifier.settled();
    expect(receiver.requests).toHaveLength(5);
    expect(log).toEqual([`webhook ${receiver.url} did not take the message after 5 attempts`]);

    receiver.handle(answers.json(404, {}));
    notifier.notify(finished('b2'));
    await notifier.settled();
    expect(receiver.requests).toHaveLength(6);
    expect(clock.nextTimerAt()).toBeUndefined();
  });

  it('sends at most one message per event kind per batch per minute', async () => {
    receiver = await startFakeUpstream();
    const clock = new FakeClock();
    const notifier = createNotifier({ urls: [receiver.url], publicUrl: null, clock });
    expect(notifier.notify(finished('b1'))).toBe('sent');
    await clock.advance(59_999);
    expect(notifier.notify(finished('b1'))).toBe('rate_limited');
    // Another batch, or another kind, is not held back.
    expect(notifier.notify(finished('b2'))).toBe('sent');
    expect(notifier.notify({ ...finished('b1'), kind: 'first_failure' })).toBe('sent');
    await clock.advance(1);
    expect(notifier.notify(finished('b1'))).toBe('sent');
    await notifier.settled();
    expect(receiver.requests).toHaveLength(4);
  });

  it('never puts anything but counts, names, ids and codes in the message', () => {
    const message = JSON.stringify(
      webhookMessage(
        { ...finished(), kind: 'outputs_expiring', expiring: { count: 2, earliestAt: Date.UTC(2026, 11, 3, 16, 5), jobIds: ['j1', 'j2'] } },
        null,
      ),
    );
    expect(message).toContain('2 outputs will be deleted within 10 minutes');
    expect(message).not.toMatch(/key|fast_/i);
  });
});
