// typescript-eslint's recommended rules over src/, test/, bench/ and scripts/ (`npm run lint`).
// Part of `npm test` (npm run lint), with prettier over scripts/prettier-scope.txt and scripts/long-functions.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'krew/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-constant-condition': ['error', {checkLoops: false}],
    },
  },
  {
    // tests match ANSI colour codes and keep a last value for their failure messages
    files: ['test/**/*.ts'],
    rules: {'no-control-regex': 'off', 'no-useless-assignment': 'warn', 'preserve-caught-error': 'warn'},
  },
);
