import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'dist-sample/', 'node_modules/', 'coverage/', 'bench/**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      // Type-aware rules: the engine is Promise-heavy (store calls, async shrinkers, the held
      // response), and a Promise nobody awaits or catches is a lost write or an unhandled
      // rejection.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Tests drive real servers and browsers through loosely typed JSON and fixtures.
    files: ['test/**/*.ts', 'sample/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
