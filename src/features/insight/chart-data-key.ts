/**
 * When a chart must be drawn again. Each poll of a running batch's insight moves the charts' last point to "now"
 * even when no count changed; redrawing both canvases every 5 s in every open tab is what twenty tabs of a busy
 * batch spent their long tasks on. The key changes with any value, and with "now" only every `nowStepSeconds`.
 */
export function chartDataKey(data: readonly (ArrayLike<number | null | undefined>)[], nowStepSeconds = 30): string {
  const [xs, ...ys] = data;
  const n = xs?.length ?? 0;
  if (n === 0) return 'empty';
  const earlier = Array.prototype.slice.call(xs, 0, n - 1).join(',');
  const now = Math.floor(Number(xs[n - 1]) / nowStepSeconds);
  return [earlier, now, ...ys.map((y) => Array.prototype.join.call(y, ','))].join('|');
}
