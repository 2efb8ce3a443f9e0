/**
 * The `normkit` command line. Each subcommand lives in its own file and
 * registers itself on the program here.
 */
import { Command, CommanderError } from 'commander';
import '../tensor/methods.js';
import { registerCheck } from './check.js';
import { registerDemo } from './demo.js';
import { registerRun } from './run.js';
import { registerTrain } from './train.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('normkit')
    .description('PyTorch-faithful normalization layers, and a doctor for the shapes that break them.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerCheck(program);
  registerRun(program);
  registerDemo(program);
  registerTrain(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    process.stderr.write(`normkit: ${(err as Error).message}\n`);
    return 2;
  }
}

