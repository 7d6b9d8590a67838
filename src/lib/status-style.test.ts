import { describe, expect, it } from 'vitest';
import { BANNER_ICONS } from '../components/ui/banner.tsx';
import { STATE_STYLES } from './status-style.ts';

describe('status and banner icons', () => {
  it('are text symbols, not emoji (which show as colour pictures on one machine and empty boxes on another)', () => {
    const icons = [...Object.values(STATE_STYLES).map((style) => style.icon), ...Object.values(BANNER_ICONS)];
    expect(icons.length).toBeGreaterThan(8);
    for (const icon of icons) expect(icon, icon).not.toMatch(/\p{Emoji_Presentation}/u);
  });

  it('tell the states apart', () => {
    const icons = Object.values(STATE_STYLES).map((style) => style.icon);
    expect(new Set(icons).size).toBe(icons.length);
  });
});

describe('state colours', () => {
  it('come from the theme\'s state tokens (tailwind.config.js), never from a raw palette colour', () => {
    for (const [state, style] of Object.entries(STATE_STYLES)) {
      const classes = `${style.badge} ${style.bar}`;
      expect(classes, state).not.toMatch(/\b(?:bg|text|ring|border|fill|stroke)-(?:slate|gray|zinc|neutral|stone|red|orange|amber|yellow|lime|green|emerald|teal|cyan|sky|blue|indigo|violet|purple|fuchsia|pink|rose)-\d/);
      expect(classes, state).not.toMatch(/--color-(?!state-)/);
      expect(classes, state).toMatch(/-state-[a-z-]+-\d/);
      for (const token of style.chart) expect(token, state).toMatch(/^state-[a-z-]+-\d+$/);
    }
  });
});
