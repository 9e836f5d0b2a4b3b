// Lint rules: typescript-eslint's recommended set, a ban on console.* in code
// that runs in Lambda (the Powertools logger redacts; console does not), and
// the import rules of the layers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layerRules } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.data/**', 'coverage/**', '.bench/**', 'web/dist/**', 'test-results/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // `import { z }` pulls zod's whole namespace (every locale) into each Lambda
      // bundle; `import * as z` lets esbuild keep only what is used (440 KB -> 100 KB).
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: "Use `import * as z from 'zod'` (tree-shakable).",
        },
      ],
    },
  },
  {
    files: ['shared/**/*.ts', 'functions/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  // Which module may import which (eslint.layers.js, docs/architecture.md).
  ...layerRules(),
);
