import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/.work/**', '.jwkr/**', 'oclif.manifest.json']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_'}],
      'no-restricted-syntax': [
        'error',
        {selector: "CallExpression[callee.name='eval']", message: 'Never eval: use the playbook expression evaluator.'},
        {selector: "NewExpression[callee.name='Function']", message: 'Never new Function.'},
      ],
    },
  },
  {
    files: ['.dependency-cruiser.cjs', 'scripts/**/*.cjs'],
    languageOptions: {sourceType: 'commonjs', globals: {module: 'writable', process: 'readonly'}},
  },
  {
    files: ['bin/**/*.js', 'bench/**/*.{js,mjs}', 'scripts/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly'}},
  },
)
