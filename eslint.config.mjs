// ESLint (flat config): @eslint/js and typescript-eslint recommended, eslint-plugin-vue recommended
// for .vue, one type-aware rule (no-unnecessary-type-assertion, against the compiler settings in
// tsconfig.node.json / tsconfig.web.json), and eslint-config-prettier last: formatting is Prettier's
// (.prettierrc.json), never a lint warning. `npm run lint` fails on any warning.
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import prettier from 'eslint-config-prettier'
import vue from 'eslint-plugin-vue'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const TS = ['**/*.ts', '**/*.mts', '**/*.vue']
const JS = ['**/*.js', '**/*.mjs', '**/*.cjs']

export default defineConfig(
  {
    ignores: ['out/**', 'dist/**', 'native/**', 'python/**', 'node_modules/**', 'test-output/**', 'resources/**', 'deploy/**', 'docs/**'],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  vue.configs['flat/recommended'],
  {
    // main, preload, shared, tests, scripts and the bin run in Node
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['src/renderer/**', 'test/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: TS,
    languageOptions: {
      parserOptions: {
        parser: tseslint.parser,
        project: ['./tsconfig.node.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.vue'],
      },
    },
    rules: {
      // the `xs[i]!` (about 950) the compiler settings (no noUncheckedIndexedAccess) do not need
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // TypeScript checks identifiers (typescript-eslint's advice: no-undef is wrong on types)
      'no-undef': 'off',
    },
  },
  {
    rules: {
      // `const { dropped: _, ...rest } = o` is how a key is left out; tsc's noUnused* checks the rest
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // tests read JSON other processes wrote (manifests, Python's replies, YAML) and fake handlers of
    // every channel's input: `any` there is JSON.parse's own type, not a hole in the product's types
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // functions handed to Playwright's page.evaluate run in the page
    files: ['scripts/bench/ui.mjs', 'scripts/bench/label.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // .d.mts declarations beside the scripts are in no tsconfig: no type information for them
    files: ['scripts/**/*.d.mts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: JS,
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // electron-builder loads its afterPack hook with require(): CommonJS is this file's format
    files: ['scripts/**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
)
