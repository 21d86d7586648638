/**
 * A small ONNX model builder: inputs, outputs, initializers and nodes in, the serialised ModelProto
 * out (what `InferenceSession.create` takes). The benchmark builds its graphs here rather than
 * shipping .onnx files, so every graph is readable next to the math it implements and its
 * weights are exactly the contender's.
 */
import * as os from 'node:os';
// onnx-proto: protobufjs's static classes generated from the official onnx.proto (ONNX 1.10.2, IR 8).
import { onnx } from 'onnx-proto';

/** ONNX opset 17 needs IR version 8 (ONNX 1.12). */
const IR_VERSION = 8;
export const ONNX_OPSET = 17;
/** com.microsoft contrib ops (MultiHeadAttention) are all at version 1. */
export const MS_DOMAIN = 'com.microsoft';

const DataType = onnx.TensorProto.DataType;
const AttributeType = onnx.AttributeProto.AttributeType;

/** A node attribute, tagged so an integer-valued float (scale = 1) is still written as a float. */
export type Attribute = { float: number } | { int: number } | { ints: number[] };

function bytesOf(a: Float32Array | BigInt64Array | Int32Array): Uint8Array {
  // raw_data is little-endian by definition; typed arrays use the host's order.
  if (os.endianness() !== 'LE') throw new Error('raw_data needs a little-endian host');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function valueInfo(name: string, dims: number[]): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
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
    this.initializers.push({ name, dims, dataType: DataType.FLOAT, rawData: bytesOf(data) });
    return name;
  }

  /** A constant int64 vector (Reshape's shape, Transpose needs none: its perm is an attribute). */
  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: DataType.INT64, rawData: bytesOf(BigInt64Array.from(values.map(BigInt))) });
    return name;
  }

  /** A constant int32 tensor (GroupQueryAttention's seqlens_k and total_sequence_length). */
  int32s(name: string, dims: number[], values: number[]): string {
    this.initializers.push({ name, dims, dataType: DataType.INT32, rawData: bytesOf(Int32Array.from(values)) });
    return name;
  }

  /** Adds a node and returns its (first) output's name, so graphs read as nested calls. */
  node(opType: string, input: string[], output: string | string[], attributes: Record<string, Attribute> = {}, domain = ''): string {
    const outputs = typeof output === 'string' ? [output] : output;
    if (domain !== '') this.domains.add(domain);
    const attribute = Object.entries(attributes).map(([name, a]): onnx.IAttributeProto =>
      'float' in a ? { name, type: AttributeType.FLOAT, f: a.float } : 'int' in a ? { name, type: AttributeType.INT, i: a.int } : { name, type: AttributeType.INTS, ints: a.ints },
    );
    this.nodes.push({ opType, domain, name: `${opType}_${this.nodes.length}`, input, output: outputs, attribute });
    return outputs[0];
  }

  /** The serialised ModelProto: opset 17 of the default domain, plus version 1 of any contrib domain used. */
  toModel(graphName: string): Uint8Array {
    const opsetImport = [{ domain: '', version: ONNX_OPSET }, ...[...this.domains].map((domain) => ({ domain, version: 1 }))];
    const model: onnx.IModelProto = {
      irVersion: IR_VERSION,
      producerName: 'nonlocal-affinity bench',
      opsetImport,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    const problem = onnx.ModelProto.verify(model);
    if (problem) throw new Error(`ONNX model: ${problem}`);
    return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
  }
}
