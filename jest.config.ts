import type { Config } from 'jest';

// One jest run for every package, compiled to CommonJS by ts-jest (type checking is `pnpm typecheck`).
// Tests import sibling packages from source, so `jest` works without a build;
// the packaging test in packages/tests checks the built dist.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@rpc/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  reporters: ['default', '<rootDir>/scripts/summary-reporter.cjs'],
  testTimeout: 60_000,
};

export default config;
