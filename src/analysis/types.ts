/**
 * What the shape-flow analyzer reports. Every field is plain JSON (no
 * Infinity, no class instances), so `normkit check --json` prints it as is.
 */

export type Mode = 'train' | 'eval';

/** An error as real execution would throw it: PyTorch's class name and message. */
export interface ErrorInfo {
  type: string;
  message: string;
}

export type NormVerdict = 'ok' | 'raises' | 'degenerate' | 'fallback';

/** How one normalization layer fares at the analyzed input size. */
export interface NormReport {
  path: string;
  type: string;
  inputShape: number[] | null;
  /** Statistics come from the input (not from running estimates). */
  usesInputStats: boolean | null;
  /** Values behind each mean/variance; null when running statistics are used or the input is unusable. */
  valuesPerStatistic: number | null;
  /** What a statistic spans, in words. */
  over: string | null;
  verdict: NormVerdict;
  /** Why, in one sentence. */
  reason: string;
  /** For `raises`: the error real execution throws here. */
  error?: ErrorInfo;
  /** For `degenerate`: the module whose output first became spatially constant. */
  constantSince?: string;
}

/** One module call, in execution (entry) order. */
export interface ModuleRecord {
  /** PyTorch module path (for a functional node: the module whose forward called it). */
  path: string;
  /** The graph node's name, for functional nodes (`sum`, `up`) and modules called again (`relu_1`). */
  node?: string;
  /** A torch.nn module's call, a functional op between modules, or a container of the module tree. */
  kind: 'module' | 'function' | 'container';
  type: string;
  /** Input shape (the first input); null when it cannot be known. */
  inputShape: number[] | null;
  /** Output shape; null for the module that raised and its unfinished ancestors. */
  outputShape: number[] | null;
  status: 'ok' | 'raised' | 'unfinished';
  /** Leaf module (no children): the rows that make up the data flow. */
  leaf: boolean;
  /** The output provably holds one value per (sample, channel) plane. */
  spatiallyConstant: boolean;
  norm?: NormReport;
}

/** A layer that changed the spatial size on the way to the failure. */
export interface CauseStep {
  path: string;
  type: string;
  /** Spatial sizes before and after, e.g. [4, 4] -> [2, 2]. */
  before: number[];
  after: number[];
  change: 'shrank' | 'grew';
  /** What did it, in the layer's own hyper-parameters: "stride 2", "kernel 4 with padding 1 (-1)". */
  because: string[];
}

export type FailureKind = 'statistics' | 'kernel' | 'padding' | 'mismatch' | 'channels' | 'rank' | 'other';

export interface Failure {
  /** PyTorch path of the module that raised (whose forward called the raising functional op). */
  path: string;
  /** The graph node that raised, when it is a functional op (`sum`, `up`). */
  node?: string;
  type: string;
  error: ErrorInfo;
  kind: FailureKind;
  inputShape: number[] | null;
  /** Layers on the way to the failure that changed the spatial size, in execution order. */
  chain: CauseStep[];
  /** One-paragraph explanation in words. */
  explanation: string;
}

export interface Analysis {
  /** The (first) input's shape. */
  inputShape: number[];
  /** Every input's shape by graph input name (a module's one input is `input`). */
  inputShapes: Record<string, number[]>;
  mode: Mode;
  /** Real execution would run without raising. */
  runs: boolean;
  /** Some normalization layer's statistics are provably degenerate. */
  degenerate: boolean;
  /** The (first) output's shape. */
  outputShape: number[] | null;
  /** Every output's shape, in the graph's output order; null when it raises. */
  outputShapes: number[][] | null;
  modules: ModuleRecord[];
  norms: NormReport[];
  failure: Failure | null;
}

export type SweepAxis = 'square' | 'length' | 'batch';

export interface SweepPoint {
  size: number;
  inputShape: number[];
  /** One word per outcome, the verdicts' own: ok | raises | degenerate | fallback. */
  outcome: 'ok' | 'raises' | 'degenerate' | 'fallback';
  outputShape?: number[];
  error?: ErrorInfo;
  raisedIn?: { path: string; type: string };
  degenerateAt?: string[];
}

export interface SweepResult {
  axis: SweepAxis;
  mode: Mode;
  from: number;
  to: number;
  points: SweepPoint[];
  /** Sizes at which real execution runs (degenerate or falling back included). */
  workingSizes: number[];
  smallestWorkingSize: number | null;
  /** Sizes that run with every norm `ok`. */
  healthySizes: number[];
  /** The working set in words: "17..48", "8, 12, ..., 48 (every 4th from 8)". */
  summary: string;
}

export type FixKind = 'input-size' | 'channels' | 'track-running-stats' | 'replace-norm' | 'stride' | 'padding' | 'pooling' | 'flexible-norm';

export interface Fix {
  rank: number;
  kind: FixKind;
  /** One line: what to change. */
  title: string;
  /** The concrete edits, by module path: `node` is the spec node that replaces the one at `path`. */
  changes: { path: string; from: string; to: string; node: unknown }[];
  /** What you give up. */
  caveat?: string;
  /** The re-analysis that verified it. */
  verified: {
    inputShape: number[];
    runs: boolean;
    degenerate: boolean;
    fallbacks: string[];
    outputShape: number[] | null;
    /** Image-to-image models only (the output is a map like the input): the output's spatial size equals the input's, as an L1 or cycle loss needs. */
    keepsInputSize?: boolean;
  };
}
