/**
 * A small ONNX model builder: inputs, outputs, initializers and nodes in, the serialised ModelProto
 * out (what `InferenceSession.create` takes). The benchmark builds its graphs here rather than
 * shipping .onnx files, so every graph is readable next to the math it implements and its
 * weights are exactly the contender's.
 */
import * as os from 'node:os';
import * as protobuf from 'protobufjs';
import { ONNX_PROTO_SUBSET } from './onnx-schema';

/** ONNX opset 17 needs IR version 8 (ONNX 1.12). */
const IR_VERSION = 8;
export const ONNX_OPSET = 17;
/** com.microsoft contrib ops (MultiHeadAttention) are all at version 1. */
export const MS_DOMAIN = 'com.microsoft';

const enum DataType { FLOAT = 1, INT64 = 7 }
const enum AttributeType { FLOAT = 1, INT = 2, INTS = 7 }

/** A node attribute, tagged so an integer-valued float (scale = 1) is still written as a float. */
export type Attribute = { float: number } | { int: number } | { ints: number[] };

interface Node {
  op_type: string;
  domain: string;
  name: string;
  input: string[];
  output: string[];
  attribute: object[];
}

let schema: protobuf.Type | undefined;
function modelType(): protobuf.Type {
  schema ??= protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root.lookupType('onnx.ModelProto');
  return schema;
}

function bytesOf(a: Float32Array | BigInt64Array): Uint8Array {
  // raw_data is little-endian by definition; typed arrays use the host's order.
  if (os.endianness() !== 'LE') throw new Error('raw_data needs a little-endian host');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function valueInfo(name: string, dims: number[]): object {
  return { name, type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dim_value: d })) } } } };
}

export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly domains = new Set<string>();

  /** A float32 graph input with a fixed shape (fixed shapes let ORT plan memory and fuse). */
  input(name: string, dims: number[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: number[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** A constant float32 tensor (a weight). */
  weight(name: string, dims: number[], data: Float32Array): string {
    if (dims.reduce((a, b) => a * b, 1) !== data.length) throw new Error(`${name}: ${data.length} values for dims [${dims}]`);
    this.initializers.push({ name, dims, data_type: DataType.FLOAT, raw_data: bytesOf(data) });
    return name;
  }

  /** A constant int64 vector (Reshape's shape, Transpose needs none: its perm is an attribute). */
  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], data_type: DataType.INT64, raw_data: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    return name;
  }

  /** Adds a node and returns its (first) output's name, so graphs read as nested calls. */
  node(opType: string, input: string[], output: string | string[], attributes: Record<string, Attribute> = {}, domain = ''): string {
    const outputs = typeof output === 'string' ? [output] : output;
    if (domain !== '') this.domains.add(domain);
    const attribute = Object.entries(attributes).map(([name, a]) =>
      'float' in a ? { name, type: AttributeType.FLOAT, f: a.float } : 'int' in a ? { name, type: AttributeType.INT, i: a.int } : { name, type: AttributeType.INTS, ints: a.ints },
    );
    this.nodes.push({ op_type: opType, domain, name: `${opType}_${this.nodes.length}`, input, output: outputs, attribute });
    return outputs[0];
  }

  /** The serialised ModelProto: opset 17 of the default domain, plus version 1 of any contrib domain used. */
  toModel(graphName: string): Uint8Array {
    const type = modelType();
    const opset_import = [{ domain: '', version: ONNX_OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))];
    const model = {
      ir_version: IR_VERSION,
      producer_name: 'nonlocal-affinity bench',
      opset_import,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    const problem = type.verify(model);
    if (problem) throw new Error(`ONNX model: ${problem}`);
    return type.encode(type.fromObject(model)).finish();
  }
}
