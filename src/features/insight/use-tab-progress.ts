import { useEffect } from 'react';

/**
 * The tab's favicon shows the batch's progress as a ring, with a red dot once a job has failed, so a
 * background tab says how far it is. The original icon comes back when the page goes.
 */
export function useTabProgress(percent: number, failed: boolean): void {
  useEffect(() => {
    const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (!link) return;
    const original = link.href;
    link.href = progressIcon(percent, failed);
    return () => {
      link.href = original;
    };
  }, [percent, failed]);
}

export function progressIcon(percent: number, failed: boolean): string {
  const p = Math.max(0, Math.min(100, Math.round(percent)));
  const r = 12;
  const length = 2 * Math.PI * r;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">` +
    `<circle cx="16" cy="16" r="${r}" fill="none" stroke="#cbd5e1" stroke-width="6"/>` +
    `<circle cx="16" cy="16" r="${r}" fill="none" stroke="#10b981" stroke-width="6" stroke-dasharray="${(length * p) / 100} ${length}" transform="rotate(-90 16 16)"/>` +
    (failed ? `<circle cx="25" cy="7" r="6" fill="#dc2626" stroke="#fff" stroke-width="1.5"/>` : '') +
    `</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
