import { defineConfig } from 'vitest/config';

// Integration and browser tests start real servers, and the machine has two cores, so files run in
// two forks. The one test that measures what a person would feel (no long task over 200 ms in the
// page during a 1,000-request burst) runs last and alone: competing with other files for the CPU
// would make the page's tasks longer than the page makes them.
const RESPONSIVENESS = 'test/e2e/load.test.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'lab', include: ['test/**/*.test.ts'], exclude: [RESPONSIVENESS], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'responsiveness', include: [RESPONSIVENESS], sequence: { groupOrder: 1 } } },
    ],
  },
});
