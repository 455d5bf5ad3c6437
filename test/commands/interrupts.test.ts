// Signals to an orderly stop, with the README's codes: the same in every command.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitCodes } from '../../source/commands/exit-codes.js';
import { catchInterrupts } from '../../source/commands/interrupts.js';

describe('interrupts', () => {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal}: aborts the work and ends with ${code}; a second one quits at once`, () => {
      const told: string[] = [];
      const exits: number[] = [];
      const interrupts = catchInterrupts({
        onInterrupt: (which) => told.push(which),
        beforeQuit: () => told.push('terminal restored'),
        exit: (exitCode) => exits.push(exitCode),
      });
      try {
        process.emit(signal);
        assert.equal(interrupts.signal.aborted, true);
        assert.equal(interrupts.by, signal);
        assert.equal(interrupts.exitCode, code);
        assert.equal(exitCodes[signal], code);
        // A screen's own "stop" after the signal is not a second interrupt.
        interrupts.stop('SIGINT');
        assert.deepEqual(exits, []);
        process.emit('SIGINT');
        assert.deepEqual(told, [signal, 'terminal restored']);
        assert.deepEqual(exits, [code], 'quits with the first signal code');
      } finally {
        interrupts.dispose();
      }
      assert.equal(process.listenerCount(signal), 0, 'no listener left behind');
    });
  }
});

describe('interrupts with the session store loaded', () => {
  it("a real SIGTERM is one interrupt, though conf's when-exit raises it again", async () => {
    // Loads conf → atomically → when-exit, which listens once and re-raises the signal.
    await import('../../source/session/session-file.js');
    const exits: number[] = [];
    const interrupts = catchInterrupts({ exit: (code) => exits.push(code) });
    try {
      process.kill(process.pid, 'SIGTERM');
      for (let tries = 0; tries < 100 && !interrupts.signal.aborted; tries++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      // Give the echo time to arrive: it must not count as the second interrupt.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(interrupts.by, 'SIGTERM');
      assert.deepEqual(exits, []);
      process.kill(process.pid, 'SIGTERM');
      for (let tries = 0; tries < 100 && exits.length === 0; tries++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(exits, [143], 'a second kill quits at once');
    } finally {
      interrupts.dispose();
    }
  });
});
