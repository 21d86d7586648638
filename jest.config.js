/** Jest runs the TypeScript sources through ts-jest (type-checked). test/ mirrors lib/ (test/core, test/attention, …); cross-cutting suites are in test/integration. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] },
  // The summary reporter prints "N passed, N failed" as the very last line, for CI.
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 120000,
};
