import colors from 'tailwindcss/colors';

/**
 * The dashboard's theme. Each job state (contract/tracked-state.ts STATE_INFO) has its hue here and nowhere
 * else: `state-<name>-<shade>` classes in src/lib/status-style.ts (badges, bar segments, legend dots) and
 * the charts' canvas colours (read back from these tokens' CSS variables) all follow it. Changing a state's
 * colour is one line below.
 */
const STATE_HUES = {
  waiting: colors.violet,
  sending: colors.violet,
  'in-doubt': colors.yellow,
  queued: colors.slate,
  running: colors.blue,
  succeeded: colors.emerald,
  // An expired output: a success whose file is gone (its badge is neutral, its bar a faded success).
  expired: colors.stone,
  failed: colors.red,
  canceled: colors.amber,
  unknown: colors.slate,
  gone: colors.zinc,
  forbidden: colors.orange,
};

const STATE_COLORS = Object.fromEntries(Object.entries(STATE_HUES).map(([state, hue]) => [`state-${state}`, hue]));

/**
 * The state tokens as CSS variables too (`--color-state-running-500`): the striped bar segments use them in
 * gradients and the canvas charts read them, and a JavaScript config's colours are otherwise only inlined.
 */
function stateVariables({ addBase }) {
  const variables = {};
  for (const [name, shades] of Object.entries(STATE_COLORS)) {
    for (const [shade, value] of Object.entries(shades)) variables[`--color-${name}-${shade}`] = value;
  }
  addBase({ ':root': variables });
}

/** @type {import('tailwindcss').Config} */
export default {
  content: ['./index.html', './src/**/*.{ts,tsx}'],
  darkMode: 'media',
  theme: {
    extend: {
      colors: {
        ...STATE_COLORS,
        // Page and text, light and dark. Secondary text stays slate-500 on white and slate-400 on the dark
        // surface: both above WCAG AA (4.5:1) for small text; a lighter or darker shade would fall below.
        surface: { DEFAULT: colors.white, dark: colors.slate[950] },
        ink: { DEFAULT: colors.slate[900], dark: colors.slate[100] },
        muted: { DEFAULT: colors.slate[500], dark: colors.slate[400] },
      },
      fontFamily: {
        sans: ['ui-sans-serif', 'system-ui', '-apple-system', '"Segoe UI"', 'Roboto', 'sans-serif'],
        mono: ['ui-monospace', '"SFMono-Regular"', '"DejaVu Sans Mono"', 'Menlo', 'Consolas', 'monospace'],
      },
    },
  },
  plugins: [stateVariables],
};
