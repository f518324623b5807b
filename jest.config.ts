import type { Config } from 'jest';

// One jest run for every package, compiled to CommonJS by ts-jest (type checking is `pnpm typecheck`).
// so `jest` works without a build; the packaging test checks the built dist.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ["<rootDir>/packages/*/test/**/*.test.ts"],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: {
    '^@rpc/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testTimeout: 60_000,
};

export default config;
