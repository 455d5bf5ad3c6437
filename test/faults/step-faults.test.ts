// The step × fault matrix (see step-walk.ts) over every step of the guide, preflight to verify, on
// one walk lab and one clean reference lab.
import { after, describe, test } from 'node:test';
import { guideStepIds } from '../../source/steps/step.js';
import type { Lab } from '../lab/lab.js';
import { startWalkLabs, walkStepsWithFaults } from './step-walk.js';

describe('every step of the guide with a fault on one node each', { timeout: 3_600_000 }, () => {
  let labs: Lab[] = [];
  after(() => Promise.all(labs.map((lab) => lab.stop())));

  test('the others finish, each failure is said in words, clearing it converges', async () => {
    labs = await startWalkLabs();
    await walkStepsWithFaults(labs[0]!, labs[1]!, guideStepIds);
  });
});
