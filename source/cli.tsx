#!/usr/bin/env node
// The command: parse the flags, then start the interactive wizard. Ink (and chalk inside it) is
// imported only after the colour choice is in the environment, since chalk reads it on import.
import {
  exitCodes,
  noTerminalMessage,
  parseCommandLine,
} from './command-line/parse-command-line.js';

const commandLine = parseCommandLine(process.argv.slice(2), process.env);
if (commandLine.kind === 'exit') {
  if (commandLine.stdout) process.stdout.write(commandLine.stdout);
  if (commandLine.stderr) process.stderr.write(commandLine.stderr);
  process.exitCode = commandLine.exitCode;
} else if (commandLine.kind === 'status') {
  const { statusCommand } = await import('./headless/run-command.js');
  process.exitCode = statusCommand(commandLine.sessionName);
} else if (commandLine.kind === 'discover') {
  const { discoverCommand } = await import('./headless/discover-command.js');
  process.exitCode = await discoverCommand(commandLine.options);
} else if (commandLine.kind === 'steps') {
  if (!commandLine.options.color) process.env.FORCE_COLOR = '0';
  const { runStepsCommand } = await import('./headless/run-command.js');
  process.exitCode = await runStepsCommand(commandLine.options);
} else if (!process.stdin.isTTY || !process.stdout.isTTY) {
  process.stderr.write(noTerminalMessage);
  process.exitCode = exitCodes.usage;
} else {
  const { options } = commandLine;
  if (!options.color) process.env.FORCE_COLOR = '0';
  const { runInteractive } = await import('./app/run-interactive.js');
  const ended = await runInteractive(options);
  if (ended.startRun) {
    // Start: the password at a hidden prompt, then the run screens in this terminal.
    const { runStepsCommand } = await import('./headless/run-command.js');
    const { guideStepIds } = await import('./steps/step.js');
    process.exitCode = await runStepsCommand({
      sessionName: options.sessionName,
      steps: [...guideStepIds],
      dryRun: options.dryRun,
      yes: true,
      fixClonedCards: false,
      color: options.color,
      screens: true,
    });
  } else process.exitCode = ended.exitCode;
}
