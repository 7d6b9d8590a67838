// One lint setup for the whole package. Type-aware rules are on because most of this code is asynchronous:
// a promise nobody awaits or catches (a dropped upstream request, an unhandled file write) is the bug class
// tsc cannot see. TanStack Query's own rules check query keys and options as STYLE.md asks.
import js from '@eslint/js';
import pluginQuery from '@tanstack/eslint-plugin-query';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Import boundaries of the browser app. `src/` runs in the browser: the dashboard server and the bundled
// Convert service are other programs (only `contract/`, the shared wire module, is common ground). Inside
// `src/`, features do not import each other: what two features share lives in `lib/` or `components/`, and
// route files in `app/` compose features. Shared code does not reach up into features or routes either.
// Relative specifiers are matched: `(../)+` reaches the folder from any depth (src/import-boundaries.test.ts
// pins each rule by linting a forbidden import).
const FEATURES = ['batches', 'jobs', 'insight'];
const SERVER_SIDE = { regex: '^(\\.\\./)+(server|convert-api)(/|$)', message: 'src/ is the browser app: share wire types through contract/, never server/ or convert-api/ code.' };
const UP_FROM_SHARED = { regex: '^(\\.\\./)+(features|app)(/|$)', message: 'lib/, components/ and config/ are shared: they must not import a feature or a route; move the shared part down instead.' };
const otherFeatures = (own) => {
  const names = FEATURES.filter((name) => name !== own).join('|');
  return {
    regex: `^(\\.\\./)+(features/)?(${names})(/|$)`,
    message: `A feature does not import another feature: move what both use to src/lib/ or src/components/, or compose them in src/app/routes/.`,
  };
};
// Lazy `import()` is not seen by no-restricted-imports; the same patterns as a syntax rule.
const noDynamic = (...groups) =>
  groups.map((group) => ({ selector: `ImportExpression[source.value=/${group.regex.replaceAll('/', '\\x2F')}/]`, message: group.message }));
const boundaries = (...groups) => ({
  'no-restricted-imports': ['error', { patterns: groups }],
  'no-restricted-syntax': ['error', ...noDynamic(...groups)],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'playwright-report*/', '.ci-out/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // Fastify plugins and handlers are async by convention, awaited or not.
      '@typescript-eslint/require-await': 'off',
      // React event handlers may be async; the promise is handled inside (mutations report their own errors).
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // An AbortSignal's reason is passed on as it is, whatever it holds.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    extends: [reactHooks.configs.flat['recommended-latest'], ...pluginQuery.configs['flat/recommended']],
    // The React Compiler is not used, so a library it cannot compile (TanStack Virtual) is not a finding.
    rules: { 'react-hooks/incompatible-library': 'off' },
  },
  { files: ['src/**/*.{ts,tsx}'], rules: boundaries(SERVER_SIDE) },
  { files: ['src/{lib,components,config}/**/*.{ts,tsx}'], rules: boundaries(SERVER_SIDE, UP_FROM_SHARED) },
  ...FEATURES.map((name) => ({ files: [`src/features/${name}/**/*.{ts,tsx}`], rules: boundaries(SERVER_SIDE, otherFeatures(name)) })),
  {
    // Tests read answers as parsed JSON (`any`) on purpose: the assertions are the type check.
    files: ['**/*.test.{ts,tsx}', '**/test/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
