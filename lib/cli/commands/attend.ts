/**
 * `attend`: y = softmax(s·QKᵀ)·V (or another affinity) of three .npy files, written to a .npy file.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { attentionAsync, info, writeNpy, type Affinity, type AttentionOptions, type Tensor } from '../../index';
import { readInput, refuseOverwritingInputs } from '../files';
import { CliError, describeError, errorCode, EXIT_OK, fileError, msSince, msText, print, printJson, say, shapeText, UsageError, type FileError } from '../output';
import { parseAffinity, parsePositiveInt, parsePositiveNumber, parseThreads } from '../options';
import { runCommand, type CommonOptions } from '../run';

interface AttendOptions extends CommonOptions {
  query: string;
  key: string;
  value: string;
  output: string;
  affinity?: Affinity;
  scale?: number;
  heads?: number;
  kvHeads?: number;
  mask?: string;
  causal?: boolean | 'upper-left' | 'lower-right';
  bias?: string;
  concatWeights?: string;
  threads?: number;
}

/** Adds `attend` to the program. */
export function registerAttend(program: Command): void {
  program
    .command('attend')
    .summary('the fused operator on query/key/value .npy files')
    .description('Computes y = normalise(f(Q, K))·V (softmax attention for the Gaussian affinities) and writes y as .npy.')
    .requiredOption('--query <file>', 'query .npy: [N, Dk], [B, N, Dk] or [B, H, N, dk]')
    .requiredOption('--key <file>', 'key .npy, same rank as the query')
    .requiredOption('--value <file>', 'value .npy, same rank as the query')
    .requiredOption('--output <file>', 'where to write y (.npy, atomically)')
    .option('--affinity <name>', 'embedded_gaussian | gaussian | dot_product | concatenation', parseAffinity)
    .option('--scale <s>', 'multiplies q·k (e.g. 0.125 or 1/8)', parsePositiveNumber)
    .option('--heads <H>', 'rank-3 inputs: split the last axis into H heads', parsePositiveInt)
    .option('--kv-heads <K>', 'rank-3 inputs: key and value carry K heads (grouped-query attention; K divides H)', parsePositiveInt)
    .option('--mask <file>', 'key padding mask .npy [B, M] (or [M]); 0 = ignore that key')
    .option('--causal [alignment]', 'causal mask: upper-left (the default: query i sees keys j ≤ i) or lower-right (j ≤ i + M − N)', parseCausal)
    .option('--bias <file>', 'additive attention bias .npy [B|1, H|1, N, M] or [N, M] (softmax affinities)')
    .option('--concat-weights <file>', 'concatenation only: .npy [2, dk], row 0 = w_q, row 1 = w_k')
    .option('--threads <T>', 'threads for the call (default: all cores)', parseThreads)
    .option('--json', 'print one JSON document on stdout')
    .action(async (opts: AttendOptions, command: Command) => {
      await runCommand(command, 'attend', opts.json === true, () => attend(opts));
    });
}

async function attend(opts: AttendOptions): Promise<number> {
  const affinity = opts.affinity ?? 'embedded_gaussian';
  if (affinity === 'concatenation' && opts.concatWeights === undefined) throw new UsageError('--affinity concatenation needs --concat-weights <file>');
  if (affinity !== 'concatenation' && opts.concatWeights !== undefined) throw new UsageError('--concat-weights applies to --affinity concatenation only');
  const files: Record<string, string> = { query: opts.query, key: opts.key, value: opts.value };
  if (opts.mask !== undefined) files.mask = opts.mask;
  if (opts.bias !== undefined) files.bias = opts.bias;
  if (opts.concatWeights !== undefined) files.concatWeights = opts.concatWeights;
  refuseOverwritingInputs(opts.output, Object.values(files), '--output');

  const readStart = performance.now();
  const tensors: Record<string, Tensor> = {};
  const errors: FileError[] = [];
  for (const [role, file] of Object.entries(files)) {
    try {
      tensors[role] = readInput(file);
    } catch (error) {
      errors.push(fileError(error, file, 'read'));
    }
  }
  // Every unreadable input gets its line, not only the first.
  if (errors.length > 0) throw new CliError(errors);
  const readMs = msSince(readStart);

  const options: AttentionOptions = { affinity };
  if (opts.scale !== undefined) options.scale = opts.scale;
  if (opts.heads !== undefined) options.heads = opts.heads;
  if (opts.kvHeads !== undefined) options.kvHeads = opts.kvHeads;
  if (opts.causal !== undefined) options.causal = opts.causal;
  if (tensors.bias !== undefined) options.attentionBias = tensors.bias;
  if (opts.threads !== undefined) options.threads = opts.threads;
  if (tensors.mask !== undefined) options.keyPaddingMask = toMask(tensors.mask);
  if (tensors.concatWeights !== undefined) options.concatWeights = splitConcatWeights(tensors.concatWeights, files.concatWeights);

  const computeStart = performance.now();
  let y: Tensor;
  try {
    y = await attentionAsync(tensors.query, tensors.key, tensors.value, options);
  } catch (error) {
    throw shapeError(error, files, tensors);
  }
  const computeMs = msSince(computeStart);

  const writeStart = performance.now();
  try {
    writeNpy(opts.output, y);
  } catch (error) {
    throw new CliError(fileError(error, opts.output, 'write'));
  }
  const writeMs = msSince(writeStart);

  const here = info();
  const threads = opts.threads ?? here.threads;
  const inputs = Object.fromEntries(Object.entries(files).map(([role, file]) => [role, { path: file, shape: tensors[role].shape }]));
  if (opts.json === true) {
    printJson({
      command: 'attend', ok: true, output: { path: opts.output, shape: y.shape }, inputs,
      affinity, scale: options.scale ?? 1, heads: options.heads ?? 1, kvHeads: options.kvHeads ?? null, causal: causalName(options.causal),
      threads, isa: here.isa,
      timings: { readMs, computeMs, writeMs },
    });
  } else {
    print(`${opts.output} ${shapeText(y.shape)}`);
    const masks = [causalName(options.causal) === 'none' ? '' : `, causal ${causalName(options.causal)}`, tensors.bias === undefined ? '' : ', bias'].join('');
    say(`attend: ${affinity}${masks}, ${here.isa}, ${threads} thread${threads === 1 ? '' : 's'}: read ${msText(readMs)}, compute ${msText(computeMs)}, write ${msText(writeMs)}`);
  }
  return EXIT_OK;
}

/** `--causal` alone means upper-left (as PyTorch's is_causal); otherwise the alignment by name. */
function parseCausal(value: string | undefined): 'upper-left' | 'lower-right' {
  if (value === 'upper-left' || value === 'lower-right') return value;
  throw new InvalidArgumentError(`expected upper-left or lower-right, got '${value}'`);
}

function causalName(causal: AttentionOptions['causal']): string {
  return causal === undefined || causal === false ? 'none' : causal === true ? 'upper-left' : causal;
}

/** A float mask .npy as the operator's Uint8Array (nonzero → 1: keep the key). */
function toMask(mask: Tensor): Uint8Array {
  const out = new Uint8Array(mask.data.length);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i] !== 0 ? 1 : 0;
  return out;
}

/** `[2, dk]` (or `[2·dk]`) → { query: w_q, key: w_k }. */
function splitConcatWeights(w: Tensor, file: string): { query: Float32Array; key: Float32Array } {
  if (!(w.shape.length === 2 && w.shape[0] === 2) && w.shape.length !== 1) {
    throw new CliError({ code: 'E_SHAPE', path: file, message: `concatenation weights must have shape [2, dk] (row 0 = w_q, row 1 = w_k), got ${shapeText(w.shape)}` });
  }
  const half = w.data.length / 2;
  if (!Number.isInteger(half)) throw new CliError({ code: 'E_SHAPE', path: file, message: `concatenation weights must have an even length, got ${shapeText(w.shape)}` });
  return { query: w.data.slice(0, half), key: w.data.slice(half) };
}

/** The operator's RangeError/TypeError, attributed to the file whose argument it names. */
function shapeError(error: unknown, files: Record<string, string>, tensors: Record<string, Tensor>): CliError {
  const message = describeError(error, '');
  const named = /^(query|key|value|options\.keyPaddingMask|options\.concatWeights|options\.attentionBias)\b/.exec(message)?.[1];
  const roles: Record<string, string> = { 'options.keyPaddingMask': 'mask', 'options.concatWeights': 'concatWeights', 'options.attentionBias': 'bias' };
  const role = named === undefined ? 'query' : roles[named] ?? named;
  const shapes = Object.keys(files).map((r) => `${r} ${shapeText(tensors[r].shape)}`).join(', ');
  return new CliError({ code: errorCode(error, 'compute'), path: files[role] ?? files.query, message: `${message} (${shapes})` });
}
