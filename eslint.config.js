// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.streamgate/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The local page's script runs in the browser, with no build step.
    files: ['infra/local/dashboard/page.js'],
    languageOptions: { sourceType: 'script', globals: { document: 'readonly', EventSource: 'readonly' } },
  },
  {
    // Only the CLI, the local stack, benchmarks and tests talk to a terminal.
    files: ['cli/**', 'bin/**', 'infra/local/**', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Functions of 60 lines at most, from signature to closing brace, comments and blank lines
    // included: a longer one is split along its natural seams. Tests are not held to it.
    files: ['functions/**', 'shared/**', 'cli/**'],
    rules: {
      'max-lines-per-function': [
        'error',
        { max: 60, skipBlankLines: false, skipComments: false, IIFEs: true },
      ],
    },
  },
  {
    // The deployed code is bundled (scripts/bundle-functions.mjs) and builds its schemas with
    // zod/mini, imported as a namespace so the bundle keeps only what is used: the classic API
    // cost each cold start ~16 ms more CPU to load, and more per schema (docs/performance.md).
    files: ['functions/**', 'shared/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value=/^zod/][importKind!='type'] > ImportSpecifier",
          message: "Import zod as `import * as z from 'zod/mini'` (the bundle keeps only what is used).",
        },
        {
          selector: "ImportDeclaration[source.value='zod']",
          message: "Deployed code builds schemas with zod/mini: `import * as z from 'zod/mini'`.",
        },
      ],
    },
  },
  {
    // The pure core must not reach for I/O, env or clocks.
    files: ['shared/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '!node:crypto', 'fs', 'http', 'https', 'net', 'child_process'],
              message: 'shared/core is pure: no I/O (hashing with node:crypto is allowed).',
            },
            {
              group: ['@google-cloud/*', '@grpc/*', 'google-auth-library'],
              message: 'shared/core never imports an SDK.',
            },
            {
              group: ['**/adapters/**', '**/pipeline/**', '**/functions/**', '**/cli/**', '**/infra/**'],
              message: 'shared/core imports only shared/core.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process', 'fetch', 'setTimeout', 'setInterval'],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'shared/core has no clock: take the time as an argument.',
        },
        { object: 'Math', property: 'random', message: 'shared/core is deterministic.' },
      ],
    },
  },
  {
    files: ['shared/adapters/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/pipeline/**', '**/functions/**', '**/cli/**', '**/infra/**'],
              message: 'adapters import only shared/core.',
            },
          ],
        },
      ],
    },
  },
  {
    // The deployed build (tsconfig.build.json: functions/ and shared/) holds no stand-ins and no CLI.
    files: ['functions/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/infra/**', '**/cli/**'], message: 'functions/ is deployed: no stand-ins, no CLI.' },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/pipeline/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/functions/**', '**/cli/**', '**/infra/**'],
              message: 'the pipeline must not import its callers.',
            },
            {
              group: ['@google-cloud/*', '@grpc/*', 'google-auth-library', 'google-gax'],
              message:
                'the pipeline never imports an SDK: it talks through the ports in shared/core/ports.ts.',
            },
            {
              group: ['**/adapters/**'],
              message:
                'the pipeline never imports an adapter: the functions and the CLI wire adapters into its ports.',
            },
          ],
        },
      ],
    },
  },
);
