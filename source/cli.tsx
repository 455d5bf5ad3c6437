#!/usr/bin/env node
// The command: parse the flags, then start one command with its options; it returns the exit code.
// Ink (and chalk inside it) is imported only after the colour choice is in the environment, since
// chalk reads it on import.
import { noTerminalMessage, parseCommandLine } from './command-line/parse-command-line.js';
import { exitCodes } from './commands/exit-codes.js';

const commandLine = parseCommandLine(process.argv.slice(2), process.env);
if (commandLine.kind === 'exit') {
  if (commandLine.stdout) process.stdout.write(commandLine.stdout);
  if (commandLine.stderr) process.stderr.write(commandLine.stderr);
  process.exitCode = commandLine.exitCode;
} else if (commandLine.kind === 'status') {
  const { statusCommand } = await import('./commands/status-command.js');
  process.exitCode = statusCommand(commandLine.sessionName, { json: commandLine.json });
} else if (commandLine.kind === 'discover') {
  const { discoverCommand } = await import('./commands/discover-command.js');
  process.exitCode = await discoverCommand(commandLine.options);
} else if (commandLine.kind === 'membership') {
  if (!commandLine.options.color) process.env.FORCE_COLOR = '0';
  const { membershipCommand } = await import('./commands/membership-command.js');
  process.exitCode = await membershipCommand(commandLine.options);
} else if (commandLine.kind === 'export') {
  const { exportCommand } = await import('./commands/export-command.js');
  process.exitCode = await exportCommand(commandLine.options);
} else if (commandLine.kind === 'run') {
  if (!commandLine.options.color) process.env.FORCE_COLOR = '0';
  const { runCommand } = await import('./commands/run-command.js');
  process.exitCode = await runCommand(commandLine.options);
} else if (commandLine.kind === 'exec') {
  if (!commandLine.options.color) process.env.FORCE_COLOR = '0';
  const { execCommand } = await import('./commands/exec-command.js');
  process.exitCode = await execCommand(commandLine.options);
} else if (commandLine.kind === 'power') {
  if (!commandLine.options.color) process.env.FORCE_COLOR = '0';
  const { powerCommand } = await import('./commands/power-command.js');
  process.exitCode = await powerCommand(commandLine.options);
} else if (!process.stdin.isTTY || !process.stdout.isTTY) {
  process.stderr.write(noTerminalMessage);
  process.exitCode = exitCodes.usage;
} else {
  if (!commandLine.options.color) process.env.FORCE_COLOR = '0';
  const { wizardCommand } = await import('./commands/wizard-command.js');
  process.exitCode = await wizardCommand(commandLine.options);
}
