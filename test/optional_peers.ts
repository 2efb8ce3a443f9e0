/**
 * The optional peers of the equivalence tests (onnxruntime-node, TensorFlow.js)
 * live in the bench/ workspace: `npm run setup:full` installs them (CI does),
 * a plain `npm ci` does not. Tests that need them are skipped, with this
 * reason printed, when they are absent — unless NORMKIT_REQUIRE_PEERS=1
 * (.ci/run), where a missing peer is an error.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** null when every package in `names` resolves, else why the tests that need them are skipped. */
export function missingPeers(...names: string[]): string | null {
  const missing = names.filter((n) => {
    try {
      require.resolve(`${n}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return null;
  const reason = `${missing.join(', ')} not installed (optional peers of the equivalence tests: npm run setup:full)`;
  if (process.env['NORMKIT_REQUIRE_PEERS'] === '1') throw new Error(`NORMKIT_REQUIRE_PEERS=1 but ${reason}`);
  return reason;
}

/**
 * Imports a compiled bench/ module (dist/bench/NAME.js; built by `npm run
 * build` only when the peers are installed). The specifier is computed, so
 * this tree compiles without the peers' types.
 */
export async function importBench<T>(name: string): Promise<T> {
  return (await import(new URL(`../bench/${name}.js`, import.meta.url).href)) as T;
}

/** The part of onnxruntime-node's API the tests use (its own types come with the optional peer). */
export interface OrtTensor {
  readonly data: ArrayLike<number> | ArrayLike<bigint>;
  readonly dims: readonly number[];
}
export interface OrtSession {
  run(feeds: Record<string, unknown>, fetches?: readonly string[] | Record<string, unknown>): Promise<Record<string, OrtTensor>>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  release(): Promise<void>;
}
export interface Ort {
  InferenceSession: { create(model: Uint8Array | string, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: string, data: ArrayLike<number> | Float32Array | BigInt64Array, dims: readonly number[]) => OrtTensor;
}

/** onnxruntime-node, or null (with the reason printed) when the peers are not installed. */
export async function loadOrt(): Promise<Ort | null> {
  const why = missingPeers('onnxruntime-node');
  if (why !== null) {
    console.log(`# skipped: ${why}`);
    return null;
  }
  const name = 'onnxruntime-node';
  return (await import(name)) as Ort;
}

/** protobufjs's default export, or null (with the reason printed) when the peers are not installed. */
export async function loadProtobuf<T>(): Promise<T | null> {
  const why = missingPeers('protobufjs');
  if (why !== null) {
    console.log(`# skipped: ${why}`);
    return null;
  }
  const name = 'protobufjs';
  return ((await import(name)) as { default: T }).default;
}
