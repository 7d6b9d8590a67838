// @vitest-environment node
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

/**
 * The import rules in eslint.config.js, pinned: each case lints a snippet as if it were a file at `path` with
 * the project's own configuration, so a rule that stops matching (a renamed folder, a broken pattern) fails here.
 */
const eslint = new ESLint({
  cwd: new URL('..', import.meta.url).pathname,
  // Without type information: the boundary rules do not need it, and building the program takes most of a minute.
  overrideConfig: tseslint.configs.disableTypeChecked,
});

async function boundaryErrors(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['src/features/jobs/components/job-row.tsx', "import { useAddIds } from '../../batches/api/add-ids.ts';\nexport const x = useAddIds;\n"],
    ['src/features/jobs/job-view.ts', "import type { X } from '../batches/model.ts';\nexport type Y = X;\n"],
    ['src/features/insight/components/insight-charts.tsx', "import { STATE } from '../../../features/jobs/status.ts';\nexport const x = STATE;\n"],
    ['src/features/batches/components/outputs-bar.tsx', "export const lazy = () => import('../../insight/components/panel.tsx');\n"],
  ])('refuses a feature importing another feature (%s)', async (path, code) => {
    const errors = await boundaryErrors(path, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/A feature does not import another feature/);
  });

  it.each([
    ['src/lib/format.ts', "import { config } from '../../server/config.ts';\nexport const x = config;\n"],
    ['src/features/batches/api/get-batch.ts', "import { store } from '../../../../convert-api/store.ts';\nexport const x = store;\n"],
    ['src/app/routes/batch.tsx', "import type { Options } from '../../../server/app.ts';\nexport type X = Options;\n"],
  ])('refuses browser code importing the server or the bundled service (%s)', async (path, code) => {
    const errors = await boundaryErrors(path, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/src\/ is the browser app/);
  });

  it('refuses shared code importing a feature', async () => {
    const errors = await boundaryErrors('src/lib/polling.ts', "import { x } from '../features/jobs/job-view.ts';\nexport const y = x;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/lib\/, components\/ and config\/ are shared/);
  });

  it('allows contract/, lib/, components/ and the own feature, and routes composing features', async () => {
    expect(
      await boundaryErrors(
        'src/features/jobs/components/job-row.tsx',
        [
          "import type { BatchJob } from '../../../../contract/dashboard-api.ts';",
          "import { STATE_STYLES } from '../../../lib/status-style.ts';",
          "import { SubmissionActions } from '../../../components/submission-actions.tsx';",
          "import { jobLabel } from '../job-view.ts';",
          'export const all = [STATE_STYLES, SubmissionActions, jobLabel] as const;',
          'export type J = BatchJob;',
          '',
        ].join('\n'),
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'src/app/routes/batch.tsx',
        "import { JobTable } from '../../features/jobs/components/job-table.tsx';\nimport { OutputsBar } from '../../features/batches/components/outputs-bar.tsx';\nexport const all = [JobTable, OutputsBar];\n",
      ),
    ).toEqual([]);
  });
});
