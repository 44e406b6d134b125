// npm run lint: typescript-eslint's strict, type-checked rules over src/ and
// test/; formatting is Prettier's (eslint-config-prettier turns off the rules
// that would fight it). The few options set here are deliberate, each says why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'release/**',
      'node_modules/**',
      'src/remote-write/prompb-layout.generated.ts',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Counts, sizes and durations go into log lines and errors all the time; objects and unknowns still may not.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // `() => void promise` and `(x) => set.add(x)` shorthands are clear; a void call used as a value elsewhere is not.
      // `async` without `await` is how the in-memory buffer implements the async SampleBuffer interface (a throw becomes a
      // rejection); a forgotten await is caught by no-floating-promises and no-misused-promises instead.
      '@typescript-eslint/require-await': 'off',
      // An abort's reason is whatever the caller gave AbortController.abort(); we pass it on unchanged.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-confusing-void-expression': [
        'error',
        {
          ignoreArrowShorthand: true,
          ignoreVoidOperator: true,
          ignoreVoidReturningFunctions: true,
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tap: top-level `t.test(...)` is collected by the runner, and its callbacks are async by convention.
      '@typescript-eslint/no-floating-promises': 'off',
      // `t.teardown(receiver.close)`: the helpers' methods are closures, not `this`-bound.
      '@typescript-eslint/unbound-method': 'off',
      // Tests index into arrays they just built and checked.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  prettier,
);
