/** Root jest config: one project per package, each with its own ts-jest settings, and the scripts' tests. */
module.exports = {
  testTimeout: 120000,
  projects: ['<rootDir>/packages/*/jest.config.js', '<rootDir>/scripts/jest.config.js'],
};
