/** The repository scripts' own tests (the reproduction-table rule and renderer): plain CommonJS, no transform. */
module.exports = {
  displayName: 'scripts',
  testEnvironment: 'node',
  roots: ['<rootDir>/lib'],
  testMatch: ['**/__tests__/**/*.test.js'],
  transform: {},
};
