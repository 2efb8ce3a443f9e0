/**
 * The `normkit` command line. Each subcommand lives in its own file and
 * registers itself on the program here.
 */
import { Command, CommanderError } from 'commander';
import '../ops/methods.js';
import { jsonHeader, registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerExport } from './export.js';
import { registerTrain } from './train.js';
import { toolVersion } from './version.js';

/** Where commander's own messages go: stderr, or (for `check --json`) collected to become a JSON error document. */
let errSink: ((s: string) => void) | null = null;
const writeErr = (s: string) => (errSink ? errSink(s) : process.stderr.write(s));

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('normkit')
    .description('PyTorch-faithful normalization layers, and a doctor for the shapes that break them.')
    .version(toolVersion())
    .exitOverride()
    .configureOutput({ writeErr });
  registerCheck(program);
  registerRun(program);
  registerExport(program);
  registerDemo(program);
  registerTrain(program);
  registerServe(program);
  // One prefix style for every message: `normkit check: unknown option '--foo'`.
  for (const cmd of program.commands) {
    cmd.configureOutput({ writeErr, outputError: (str, write) => write(`normkit ${cmd.name()}: ${str.replace(/^error: /, '')}`) });
  }
  program.configureOutput({ writeErr, outputError: (str, write) => write(`normkit: ${str.replace(/^error: /, '')}`) });
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  // `normkit check ... --json`: argument errors too are one JSON document on stdout.
  const json = argv[0] === 'check' && argv.includes('--json');
  let collected = '';
  errSink = json ? (s) => (collected += s) : null;
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) {
        if (collected) process.stdout.write(collected); // --help with --json: the help itself
        return 0;
      }
      if (json) {
        const message = (collected.trim() || err.message).replace(/^normkit check: /, '').split('\n')[0]!;
        process.stdout.write(JSON.stringify({ ...jsonHeader(), error: { type: 'UsageError', message, code: err.code }, exitCode: 2 }, null, 2) + '\n');
      }
      return 2;
    }
    if (json) process.stdout.write(JSON.stringify({ ...jsonHeader(), error: { type: (err as Error).name || 'Error', message: (err as Error).message }, exitCode: 2 }, null, 2) + '\n');
    else process.stderr.write(`normkit: ${(err as Error).message}\n`);
    return 2;
  } finally {
    errSink = null;
  }
}

