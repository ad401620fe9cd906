/**
 * ts-jest without isolatedModules: tsyringe needs the emitted decorator metadata. Inside
 * core's own tests `@repscope/core` is its source (the test plugins import it by name, as
 * any plugin does), so a test never mixes source and build of the same class.
 */
module.exports = {
  displayName: 'core',
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: { '^@repscope/core$': '<rootDir>/src/index.ts', '^@repscope/core/testing$': '<rootDir>/src/testing/index.ts' },
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: { warnOnly: false } }] },
};
