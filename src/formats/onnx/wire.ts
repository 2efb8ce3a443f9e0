/**
 * The protobuf wire format, read from a Uint8Array with every read
 * bounds-checked: varints (64-bit, decoded to a JS number only when exact),
 * fixed32/fixed64, length-delimited fields, packed and unpacked repeated
 * scalars, and skipping of unknown fields by wire type. Groups (wire types 3
 * and 4, deprecated) are refused. Nothing here allocates more than the bytes
 * it reads could hold: sub-messages and byte fields are views, and a length
 * prefix past the end of the enclosing message is an error before anything
 * is allocated. No `node:` imports: this runs in browsers too.
 */
import { OnnxError } from './errors.js';

export const VARINT = 0;
export const FIXED64 = 1;
export const LEN = 2;
export const FIXED32 = 5;

const WIRE_NAMES = ['varint', 'fixed64', 'length-delimited', 'group start', 'group end', 'fixed32', 'wire type 6', 'wire type 7'];
export const wireName = (w: number): string => WIRE_NAMES[w] ?? `wire type ${w}`;

const TWO32 = 4294967296;
const utf8 = new TextDecoder('utf-8');

/**
 * How much memory decoding may take, in (estimated) bytes of JS objects: a
 * file of millions of empty messages would otherwise cost ~100 times its
 * size. Charged per decoded message, string and repeated element.
 */
export class Budget {
  readonly limit: number;
  private left: number;
  constructor(limit: number) {
    this.limit = limit;
    this.left = limit;
  }
  charge(n: number, r: Reader): void {
    this.left -= n;
    if (this.left < 0) {
      r.fail(`decoding would take more than the memory budget of ${this.limit} bytes (the file holds too many small messages or values; see DecodeOptions.memoryBudget)`);
    }
  }
}

/** Estimated cost of one decoded message object (an empty NodeProto measures ~190 bytes on V8), string, and array element. */
export const COST = { message: 256, string: 32, element: 8 } as const;

/** A cursor over `buf[pos, end)`; `path` names the message being read, for errors. */
export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  readonly end: number;
  readonly path: string;
  readonly budget: Budget;
  private view: DataView | undefined;

  constructor(buf: Uint8Array, path: string, pos = 0, end = buf.length, budget: Budget = new Budget(Infinity)) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
    this.path = path;
    this.budget = budget;
  }

  /** Charges `n` estimated bytes to the memory budget. */
  charge(n: number): void {
    this.budget.charge(n, this);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at: number = this.pos, path: string = this.path): never {
    throw new OnnxError(path, `${message} at byte ${at}`);
  }

  private dv(): DataView {
    return (this.view ??= new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength));
  }

  /** The raw 64 bits of a varint as [low, high] unsigned 32-bit halves. */
  private varint64(field: string): [number, number] {
    const start = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail(`truncated varint${field}`, start);
      const b = this.buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (i === 9 && b > 1) this.fail(`varint${field} does not fit in 64 bits`, start);
      if ((b & 0x80) === 0) return [lo >>> 0, hi >>> 0];
    }
    return this.fail(`varint${field} longer than 10 bytes`, start);
  }

  /**
   * A signed 64-bit varint (int64/int32/enum; negatives are two's complement),
   * as a number; an error naming `field` when it is not within ±(2^53 - 1).
   */
  int64(field = ''): number {
    const start = this.pos;
    const [lo, hi] = this.varint64(field === '' ? '' : ` (${field})`);
    if (hi & 0x80000000) {
      const mhi = ~hi >>> 0;
      const mlo = ~lo >>> 0;
      // magnitude = mhi * 2^32 + mlo + 1
      if (mhi >= 0x200000 || (mhi === 0x1fffff && mlo === 0xffffffff)) this.tooBig(field, start);
      return -(mhi * TWO32 + mlo + 1);
    }
    if (hi >= 0x200000) this.tooBig(field, start);
    return hi * TWO32 + lo;
  }

  /**
   * A signed 64-bit value that may be a sentinel: torch writes INT64_MAX for
   * "to the end" (Slice ends, Clip bounds). Past ±(2^53 - 1) it saturates
   * there, still larger than any real size.
   */
  int64Saturating(field = ''): number {
    const [lo, hi] = this.varint64(field === '' ? '' : ` (${field})`);
    return saturate(lo, hi);
  }

  /** An unsigned 64-bit varint (uint64), as a number when below 2^53. */
  uint64(field = ''): number {
    const start = this.pos;
    const [lo, hi] = this.varint64(field === '' ? '' : ` (${field})`);
    if (hi >= 0x200000) this.tooBig(field, start);
    return hi * TWO32 + lo;
  }

  private tooBig(field: string, at: number): never {
    return this.fail(`${field === '' ? 'integer' : field} does not fit in a JS number exactly (beyond ±2^53)`, at);
  }

  /** A length prefix, checked against the bytes left in this message. */
  length(field: string): number {
    const start = this.pos;
    const [lo, hi] = this.varint64(` (length of ${field})`);
    const n = hi * TWO32 + lo;
    if (n > this.end - this.pos) {
      this.fail(`length prefix ${hi >= 0x200000 ? `${hi}*2^32+${lo}` : n} of ${field} runs past the end of the enclosing message (${this.end - this.pos} bytes left)`, start);
    }
    return n;
  }

  /** The next tag as [field number, wire type]; groups and field 0 are refused. */
  tag(): [number, number] {
    const start = this.pos;
    const t = this.uint64('tag');
    const field = Math.floor(t / 8);
    const wire = t % 8;
    if (field === 0) this.fail('field number 0 (invalid tag)', start);
    if (field > 536870911) this.fail(`field number ${field} beyond 2^29 - 1`, start);
    if (wire === 3 || wire === 4) this.fail(`field ${field} uses a group (${wireName(wire)}), not supported`, start);
    if (wire > 5) this.fail(`field ${field} has invalid wire type ${wire}`, start);
    return [field, wire];
  }

  /** Skips a field of the given wire type. */
  skip(wire: number, field: number): void {
    const start = this.pos;
    switch (wire) {
      case VARINT:
        this.varint64(` (field ${field})`);
        return;
      case FIXED64:
        this.need(8, `field ${field} (fixed64)`, start);
        this.pos += 8;
        return;
      case FIXED32:
        this.need(4, `field ${field} (fixed32)`, start);
        this.pos += 4;
        return;
      case LEN: {
        const n = this.length(`field ${field}`);
        this.pos += n;
        return;
      }
      default:
        this.fail(`field ${field} has unsupported wire type ${wire}`, start);
    }
  }

  private need(n: number, what: string, at: number): void {
    if (this.end - this.pos < n) this.fail(`truncated ${what}: needs ${n} bytes, ${this.end - this.pos} left`, at);
  }

  float32(field: string): number {
    this.need(4, `${field} (fixed32)`, this.pos);
    const v = this.dv().getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  float64(field: string): number {
    this.need(8, `${field} (fixed64)`, this.pos);
    const v = this.dv().getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes, as a view (not a copy). */
  bytes(field: string): Uint8Array {
    const n = this.length(field);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-delimited field as UTF-8 text (invalid sequences become U+FFFD, as protobufjs does). */
  string(field: string): string {
    const b = this.bytes(field);
    this.charge(COST.string + 2 * b.length);
    return b.length === 0 ? '' : utf8.decode(b);
  }

  /** A reader over an embedded message; `path` names it in errors. */
  message(path: string): Reader {
    const n = this.length(path);
    const r = new Reader(this.buf, path, this.pos, this.pos + n, this.budget);
    this.pos += n;
    return r;
  }

  /** Reads one occurrence of a repeated scalar field (packed when `wire` is LEN) into `out`. */
  repeated(wire: number, kind: ScalarKind, field: string, out: number[]): void {
    const want = SCALAR_WIRE[kind];
    if (wire === want) {
      this.charge(COST.element);
      out.push(this.scalar(kind, field));
      return;
    }
    if (wire !== LEN) this.fail(`${field}: ${wireName(wire)} for a ${kind} field`);
    const n = this.length(field);
    const end = this.pos + n;
    if (want === FIXED32 && n % 4 !== 0) this.fail(`packed ${field} of ${n} bytes is not a multiple of 4`);
    if (want === FIXED64 && n % 8 !== 0) this.fail(`packed ${field} of ${n} bytes is not a multiple of 8`);
    // at most one element per byte (varints) or per 4/8 bytes
    this.charge(COST.element * (want === FIXED32 ? n / 4 : want === FIXED64 ? n / 8 : n));
    const inner = new Reader(this.buf, this.path, this.pos, end, this.budget);
    inner.view = this.view;
    while (!inner.done) out.push(inner.scalar(kind, field));
    this.pos = end;
  }

  scalar(kind: ScalarKind, field: string): number {
    switch (kind) {
      case 'int64':
        return this.int64(field);
      case 'int64sat':
        return this.int64Saturating(field);
      case 'uint64':
        return this.uint64(field);
      case 'float':
        return this.float32(field);
      case 'double':
        return this.float64(field);
    }
  }

  /** Checks a known field's wire type. */
  expect(wire: number, want: number, field: string, at: number): void {
    if (wire !== want) this.fail(`${field} has ${wireName(wire)} encoding, expected ${wireName(want)}`, at);
  }
}

/** int64 covers int32, enums and bool too (all varints; negative int32 is sign-extended to 64 bits). */
export type ScalarKind = 'int64' | 'int64sat' | 'uint64' | 'float' | 'double';
const SCALAR_WIRE: Record<ScalarKind, number> = { int64: VARINT, int64sat: VARINT, uint64: VARINT, float: FIXED32, double: FIXED64 };

/** The two's-complement 64-bit value (lo, hi as unsigned 32-bit halves), saturated to ±(2^53 - 1). */
export function saturate(lo: number, hi: number): number {
  const signed = hi | 0;
  const x = signed * TWO32 + (lo >>> 0);
  return x > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : x < -Number.MAX_SAFE_INTEGER ? -Number.MAX_SAFE_INTEGER : x;
}

/** Protobuf writer for the encoder: grows a buffer, writes tags, varints, fixed values and nested messages. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;
  private view = new DataView(this.buf.buffer);

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** A varint of a safe integer (negatives as 10-byte two's complement, as int64 requires). */
  varint(v: number): void {
    if (!Number.isSafeInteger(v)) throw new OnnxError('', `cannot encode ${v} as an integer varint`);
    this.ensure(10);
    let lo: number;
    let hi: number;
    if (v >= 0) {
      lo = v % TWO32 >>> 0;
      hi = Math.floor(v / TWO32) >>> 0;
    } else {
      const m = -v;
      const mlo = m % TWO32 >>> 0;
      const mhi = Math.floor(m / TWO32) >>> 0;
      // two's complement of (mhi, mlo)
      lo = (~mlo + 1) >>> 0;
      hi = (~mhi + (mlo === 0 ? 1 : 0)) >>> 0;
    }
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    this.buf[this.len++] = lo;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  float32(v: number): void {
    this.ensure(4);
    this.view.setFloat32(this.len, v, true);
    this.len += 4;
  }

  float64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  bytesField(field: number, b: Uint8Array): void {
    this.tag(field, LEN);
    this.varint(b.length);
    this.raw(b);
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, new TextEncoder().encode(s));
  }

  /** A nested message written by `body` into its own writer, then length-prefixed here. */
  messageField(field: number, body: (w: Writer) => void): void {
    const inner = new Writer();
    body(inner);
    this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
