/**
 * Reading a model for the CLI: a JSON spec (tree or general form), a check
 * file, or a bundled example's name, from the file system. What is read is
 * parsed by doctor/source.ts (shared with the web app), re-exported here.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NormkitError, SpecError } from '../errors.js';
import { MAX_MODEL_BYTES, sourceFromBytes, UsageError, type Source } from '../doctor/source.js';

export {
  UsageError,
  MAX_MODEL_BYTES,
  parseShape,
  parseInputs,
  resolveInputs,
  inputText,
  parseRange,
  parseMode,
  build,
  loadModel,
  sourceFromBytes,
  type Source,
  type LoadedModel,
} from '../doctor/source.js';

/**
 * A command's one-line message for bad usage or a typed error (`normkit run: ...`),
 * returning exit code 2; anything else is a bug and is thrown on.
 */
export function usageExit(command: string, e: unknown, err: (text: string) => void): number {
  if (!(e instanceof UsageError) && !(e instanceof NormkitError)) throw e;
  err(`normkit ${command}: ${e instanceof SpecError || e instanceof UsageError ? '' : `${(e as NormkitError).type}: `}${e.message}\n`);
  return 2;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function examplesDir(): string {
  return join(packageRoot(), 'examples');
}

/** Bundled example names (examples/*.json without the extension). */
export function listExamples(): string[] {
  const dir = examplesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Reads MODEL: a file path, or a bundled example's name. */
export function loadSource(arg: string): Source {
  const asFile = resolve(arg);
  const bundled = join(examplesDir(), `${arg}.json`);
  let file: string;
  if (existsSync(asFile) && statSync(asFile).isFile()) file = asFile;
  else if (!arg.includes('/') && existsSync(bundled)) file = bundled;
  else throw new UsageError(`no model file '${arg}', and no bundled example of that name (bundled: ${listExamples().join(', ')})`);
  const size = statSync(file).size;
  if (size > MAX_MODEL_BYTES) {
    throw new UsageError(`${basename(file)} is ${(size / 2 ** 30).toFixed(1)} GB: model files over 1 GB are not read (ONNX external data is not supported either)`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const isBundled = file === bundled;
  return sourceFromBytes(bytes, { name: isBundled ? arg : basename(file), file, bundled: isBundled });
}
