/** ts-jest; `@repscope/models` inside this package's own tests is its source, not its build. */
module.exports = {
  displayName: 'models',
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^@repscope/models$': '<rootDir>/src/index.ts' },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { warnOnly: false } }] },
};
