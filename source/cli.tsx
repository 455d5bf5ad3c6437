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
} else if (!process.stdin.isTTY || !process.stdout.isTTY) {
  process.stderr.write(noTerminalMessage);
  process.exitCode = exitCodes.usage;
} else {
  if (!commandLine.options.color) process.env.FORCE_COLOR = '0';
  const { runInteractive } = await import('./app/run-interactive.js');
  process.exitCode = await runInteractive(commandLine.options);
}
