/**
 * The one error type of the ONNX reader and writer. Its message says what is
 * wrong and where: the path of the message field inside the model, then the
 * byte offset in the file when the problem is in the wire encoding, e.g.
 * `ModelProto.graph.node[3].attribute[1]: truncated varint at byte 1234`.
 */
import { NormkitError } from '../../errors.js';

export class OnnxError extends NormkitError {
  static readonly typeName: string = 'OnnxError';
  /** Where in the model the problem is (`ModelProto.graph.node[3]`); "" when not known. */
  readonly at: string;
  constructor(at: string, message: string) {
    super(at === '' ? message : `${at}: ${message}`, { kind: 'format' });
    this.at = at;
  }
}
