/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of
 * JSON header `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}`,
 * then the data buffer. Reading validates like the reference implementation
 * (huggingface/safetensors `read_metadata` + `validate`): a bounded header,
 * UTF-8 JSON object, known dtypes, offsets sorted, contiguous from 0 and
 * covering the buffer exactly, byte counts equal to numel * dtype size
 * (checked multiplication in shape order, as the reference: a product that
 * overflows is ValidationOverflow even if a later dimension is 0). Any bad
 * file gives a SafetensorsError, never a crash or a partial result.
 *
 * Bounds (hostile headers): at most MAX_HEADER_SIZE bytes of header (the
 * reference's 100 MB) and at most MAX_TENSORS tensors, counted on the raw
 * text before it is parsed (a million zero-size tensors would otherwise cost
 * seconds and gigabytes of parsed objects); validation is linear in the
 * header size; nesting depth costs no stack (JSON.parse is iterative, and
 * messages never serialize a whole value: every value shown in a message is
 * cut to 200 characters, see `fmtValue`).
 */
import { NormkitError, fmtSize, fmtValue, pyTypeName } from '../errors.js';
import { numel } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { DTYPE_SIZE, decodeElements, encodeElements, isDtype, type Dtype, type WriteDtype } from './dtypes.js';

/** Same bound as the reference implementation. */
export const MAX_HEADER_SIZE = 100_000_000;

/**
 * At most this many tensors in one file (normkit's bound; the largest
 * published checkpoints hold a few thousand per file).
 */
export const MAX_TENSORS = 100_000;

/** A name or shape shown in a message: at most 200 characters. */
const showName = (name: string): string => fmtValue(name);
const showShape = (shape: readonly number[]): string => (shape.length > 64 ? `${fmtSize(shape.slice(0, 64)).slice(0, -1)}, … (${shape.length} dims)]` : fmtSize(shape));

/** The reference implementation's error variants, plus what normkit adds around them. */
export type SafetensorsErrorKind =
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'InvalidHeaderLength'
  | 'InvalidHeader'
  | 'InvalidHeaderStart'
  | 'InvalidHeaderDeserialization'
  | 'InvalidOffset'
  | 'TensorInvalidInfo'
  | 'ValidationOverflow'
  | 'MetadataIncompleteBuffer'
  | 'UnsupportedDtype'
  | 'InvalidTensor'
  | 'IoError';

/** A safetensors file (or a state dict to save) that cannot be used. */
export class SafetensorsError extends NormkitError {
  static readonly typeName: string = 'SafetensorsError';
  /** The reference implementation's error variant. */
  readonly reason: SafetensorsErrorKind;
  constructor(reason: SafetensorsErrorKind, message: string) {
    super(`${reason}: ${message}`, { kind: 'format' });
    this.reason = reason;
  }
}

export interface TensorInfo {
  dtype: Dtype;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsContents {
  /** Tensors in file order, decoded to float32. */
  tensors: Map<string, Tensor>;
  /** The `__metadata__` map ({} when absent). */
  metadata: Record<string, string>;
}

export interface SaveOptions {
  /** Storage dtype per tensor name (default F32; `num_batches_tracked` buffers default to I64, as PyTorch stores them). */
  dtypes?: Record<string, WriteDtype>;
}

const METADATA_KEY = '__metadata__';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

function parseInfo(name: string, raw: unknown): TensorInfo {
  const bad = (why: string) => new SafetensorsError('InvalidHeaderDeserialization', `tensor ${showName(name)}: ${why}`);
  if (!isObject(raw)) throw bad('entry must be an object {dtype, shape, data_offsets}');
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== 'string') throw bad('"dtype" must be a string');
  if (!isDtype(dtype)) throw new SafetensorsError('UnsupportedDtype', `tensor ${showName(name)}: unknown or unsupported dtype ${fmtValue(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isIndex)) throw bad(`"shape" must be a list of non-negative integers, got ${fmtValue(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
    throw bad(`"data_offsets" must be two non-negative integers, got ${fmtValue(offsets)}`);
  }
  return { dtype, shape: shape as number[], dataOffsets: [offsets[0] as number, offsets[1] as number] };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
    throw new SafetensorsError('InvalidHeaderDeserialization', '"__metadata__" must map strings to strings');
  }
  return { ...(raw as Record<string, string>) };
}

/**
 * numel(shape) * dtype size with the reference's checked multiplication, in
 * shape order: a product that leaves the exact integers (2^53 here, where the
 * reference's usize stops at 2^64) is ValidationOverflow, even when a later
 * dimension is 0 (`[2^40, 2^40, 0]`).
 */
function checkedByteCount(name: string, info: TensorInfo): number {
  let n = 1;
  for (const d of info.shape) {
    n *= d;
    if (!Number.isSafeInteger(n)) {
      throw new SafetensorsError('ValidationOverflow', `tensor ${showName(name)}: the element count of shape ${showShape(info.shape)} overflows`);
    }
  }
  const nbytes = n * DTYPE_SIZE[info.dtype];
  if (!Number.isSafeInteger(nbytes)) {
    throw new SafetensorsError('ValidationOverflow', `tensor ${showName(name)}: the byte count of shape ${showShape(info.shape)} overflows`);
  }
  return nbytes;
}

/**
 * Parses and validates the header of a whole file. Returns the entries sorted
 * by offset, the metadata and where the data buffer starts.
 */
export function readHeader(bytes: Uint8Array): { entries: [string, TensorInfo][]; metadata: Record<string, string>; dataStart: number } {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError('IoError', `expected the file's bytes (a Uint8Array), got ${pyTypeName(bytes)}`);
  if (bytes.length < 8) throw new SafetensorsError('HeaderTooSmall', `file of ${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_SIZE)) throw new SafetensorsError('HeaderTooLarge', `header length ${n64} exceeds ${MAX_HEADER_SIZE} bytes`);
  const n = Number(n64);
  if (8 + n > bytes.length) {
    throw new SafetensorsError('InvalidHeaderLength', `header length ${n} runs past the end of the ${bytes.length}-byte file`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError('InvalidHeader', 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError('InvalidHeaderStart', 'header must start with "{"');
  // Every tensor entry has a "data_offsets" key: too many of them and the file is refused before parsing.
  let declared = 0;
  for (let at = text.indexOf('"data_offsets"'); at >= 0; at = text.indexOf('"data_offsets"', at + 14)) {
    if (++declared > MAX_TENSORS + 1) {
      throw new SafetensorsError('HeaderTooLarge', `header declares more than ${MAX_TENSORS} tensors (normkit's bound, MAX_TENSORS)`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('InvalidHeaderDeserialization', `header is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) throw new SafetensorsError('InvalidHeaderDeserialization', 'header must be a JSON object');

  const metadata = parseMetadata(parsed[METADATA_KEY]);
  const entries: [string, TensorInfo][] = [];
  for (const k in parsed) {
    if (!Object.hasOwn(parsed, k) || k === METADATA_KEY) continue;
    if (entries.length >= MAX_TENSORS) {
      throw new SafetensorsError('HeaderTooLarge', `header declares more than ${MAX_TENSORS} tensors (normkit's bound, MAX_TENSORS)`);
    }
    entries.push([k, parseInfo(k, parsed[k])]);
  }
  entries.sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);

  // Offsets must tile the buffer: each tensor starts where the previous ended.
  let end = 0;
  for (const [name, info] of entries) {
    const [s, e] = info.dataOffsets;
    if (s !== end || e < s) {
      throw new SafetensorsError('InvalidOffset', `tensor ${showName(name)}: data_offsets [${s}, ${e}] do not start where the previous tensor ends (${end})`);
    }
    end = e;
    const nbytes = checkedByteCount(name, info);
    if (e - s !== nbytes) {
      throw new SafetensorsError(
        'TensorInvalidInfo',
        `tensor ${showName(name)}: ${info.dtype} ${showShape(info.shape)} needs ${nbytes} bytes, data_offsets give ${e - s}`,
      );
    }
  }
  if (8 + n + end !== bytes.length) {
    throw new SafetensorsError(
      'MetadataIncompleteBuffer',
      `tensors cover ${end} bytes of data but the file holds ${bytes.length - 8 - n} after the header`,
    );
  }
  return { entries, metadata, dataStart: 8 + n };
}

/** Reads a whole safetensors file (as bytes); every dtype is converted to float32. */
export function loadSafetensors(bytes: Uint8Array): SafetensorsContents {
  const { entries, metadata, dataStart } = readHeader(bytes);
  const tensors = new Map<string, Tensor>();
  for (const [name, info] of entries) {
    const [s, e] = info.dataOffsets;
    const data = decodeElements(bytes.subarray(dataStart + s, dataStart + e), info.dtype, numel(info.shape));
    tensors.set(name, new Tensor(data, info.shape));
  }
  return { tensors, metadata };
}

function defaultDtype(name: string): WriteDtype {
  return name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked') ? 'I64' : 'F32';
}

/**
 * Serializes tensors (a state dict) to safetensors bytes, laid out like the
 * reference writer: larger dtypes first, then by name; header padded with
 * spaces to a multiple of 8 bytes so every tensor is aligned.
 */
export function saveSafetensors(
  stateDict: Map<string, Tensor> | Record<string, Tensor>,
  metadata?: Record<string, string>,
  opts: SaveOptions = {},
): Uint8Array {
  const src = stateDict instanceof Map ? [...stateDict] : Object.entries(stateDict);
  const items = src.map(([name, t]) => {
    if (!(t instanceof Tensor)) throw new SafetensorsError('InvalidTensor', `${showName(name)} is not a Tensor`);
    if (t.isMeta) throw new SafetensorsError('InvalidTensor', `${showName(name)} is a meta tensor (it has no data to save)`);
    if (name === METADATA_KEY) throw new SafetensorsError('InvalidTensor', `"${METADATA_KEY}" is reserved for metadata`);
    const dtype = opts.dtypes?.[name] ?? defaultDtype(name);
    if (!['F32', 'F64', 'I64', 'I32'].includes(dtype)) throw new SafetensorsError('UnsupportedDtype', `cannot write ${showName(name)} as ${fmtValue(dtype)}`);
    return { name, t, dtype, nbytes: t.numel() * DTYPE_SIZE[dtype] };
  });
  if (metadata === null) metadata = undefined;
  if (metadata !== undefined && (typeof metadata !== 'object' || Array.isArray(metadata) || !Object.values(metadata).every((v) => typeof v === 'string'))) {
    throw new SafetensorsError('InvalidHeaderDeserialization', '"__metadata__" values must be strings');
  }
  items.sort((a, b) => DTYPE_SIZE[b.dtype] - DTYPE_SIZE[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  // Written by hand so that key order is file order (JS objects reorder integer-like keys).
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const it of items) {
    parts.push(`${JSON.stringify(it.name)}:${JSON.stringify({ dtype: it.dtype, shape: it.t.shape, data_offsets: [offset, offset + it.nbytes] })}`);
    offset += it.nbytes;
  }
  const header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(header, 8);
  out.fill(0x20, 8 + header.length, 8 + padded);
  let at = 8 + padded;
  for (const it of items) {
    const bad = encodeElements(it.t.data, it.dtype, out.subarray(at, at + it.nbytes));
    if (bad >= 0) throw new SafetensorsError('InvalidTensor', `${showName(it.name)}: value ${it.t.data[bad]} cannot be stored as ${it.dtype}`);
    at += it.nbytes;
  }
  return out;
}
