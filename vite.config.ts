/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import babel from '@rolldown/plugin-babel';
import react, { reactCompilerPreset } from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { precompress } from './server/precompress.ts';

// The app is always served by the dashboard server (server/), in production from dist/ and in development
// with Vite in middleware mode, so there is no Vite proxy here: one implementation of /convert and /api.
export default defineConfig({
  // React Compiler: components and values are memoised where their inputs did not change, so a live page's
  // once-a-second data change re-renders what shows that data and not the whole page (bench:ui-live).
  plugins: [react(), babel({ presets: [reactCompilerPreset()] }), tailwindcss(), precompress()],
  build: { outDir: 'dist', sourcemap: false },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/testing/setup-tests.ts'],
    include: ['src/**/*.test.{ts,tsx}', 'server/**/*.test.ts', 'convert-api/**/*.test.ts', 'contract/**/*.test.ts'],
    reporters: process.env.VITEST_JSON ? ['default', ['json', { outputFile: process.env.VITEST_JSON }]] : ['default'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
