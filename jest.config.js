/** Root jest config: one project per package, each with its own ts-jest settings. */
module.exports = {
  testTimeout: 120000,
  projects: ['<rootDir>/packages/*/jest.config.js'],
};
