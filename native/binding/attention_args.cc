#include "attention_args.h"

#include <cmath>
#include <string>

#include "tensor_args.h"

namespace nonlocal_binding {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 32;
constexpr const char* kWhat = "descriptor";

// descriptor.sizes, in order (lib/native/binding.ts ATTENTION_SIZE_FIELDS must match).
enum SizeField : int { kLayout, kBatch, kHeads, kQueries, kKeys, kKeyWidth, kValueWidth, kAffinity,
                       kThreads, kScale, kKvHeads, kCausal, kBiasBatch, kBiasHeads, kSizeFields };
constexpr const char* kSizeNames[kSizeFields] = {"layout",   "batch",      "heads",
                                                 "queries",  "keys",       "keyWidth",
                                                 "valueWidth", "affinity", "threads",
                                                 "scale",    "kvHeads",    "causal",
                                                 "biasBatch", "biasHeads"};

// descriptor.sizes.causal: 0 none, 1 upper-left (j ≤ i), 2 lower-right (j ≤ i + M − N).
constexpr int64_t kCausalUpperLeft = 1;

nonlocal::Strides StridesFor(int64_t layout, int64_t heads, int64_t rows, int64_t width) {
  if (layout == 0) return nonlocal::Strides{rows * heads * width, width, heads * width};  // [B,N,H,d]
  return nonlocal::Strides{heads * rows * width, rows * width, width};                  // [B,H,N,d]
}

std::string Shape(int64_t layout, int64_t b, int64_t h, int64_t n, int64_t d) {
  auto s = [](int64_t x) { return std::to_string(x); };
  if (layout == 0) return "[" + s(b) + ", " + s(n) + ", " + s(h * d) + "]";
  return "[" + s(b) + ", " + s(h) + ", " + s(n) + ", " + s(d) + "]";
}

}  // namespace

AttentionCall ParseAttentionCall(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 5 || !info[4].IsObject())
    throw Napi::TypeError::New(env, "attention(query, key, value, out, descriptor) takes 5 arguments");
  const FloatView q = RequireFloat32Array(env, info[0], "query");
  const FloatView k = RequireFloat32Array(env, info[1], "key");
  const FloatView v = RequireFloat32Array(env, info[2], "value");
  const FloatView out = RequireFloat32Array(env, info[3], "out");
  const Napi::Object d = info[4].As<Napi::Object>();

  const double* sizes = RequireNumbers(env, d, "sizes", kSizeFields, kWhat);
  const auto integer = [&](SizeField f, int64_t min, int64_t max) {
    return CheckInteger(env, sizes[f], kSizeNames[f], min, max, kWhat);
  };
  const int64_t layout = integer(kLayout, 0, 1);
  const int64_t b = integer(kBatch, 1, kMaxDim);
  const int64_t h = integer(kHeads, 1, kMaxDim);
  const int64_t n = integer(kQueries, 1, kMaxDim);
  const int64_t m = integer(kKeys, 1, kMaxDim);
  const int64_t dk = integer(kKeyWidth, 1, kMaxDim);
  const int64_t dv = integer(kValueWidth, 1, kMaxDim);
  const int64_t affinity = integer(kAffinity, 0, 3);
  const int64_t threads = integer(kThreads, 1, nonlocal::kMaxThreads);
  const int64_t hkv = integer(kKvHeads, 1, h);
  if (h % hkv != 0) throw Napi::RangeError::New(env, "descriptor.kvHeads must divide descriptor.heads");
  const int64_t causal = integer(kCausal, 0, 2);
  const int64_t bias_batch = integer(kBiasBatch, 0, b);  // 0: no bias
  const int64_t bias_heads = integer(kBiasHeads, 1, h);
  const double scale = sizes[kScale];
  if (!std::isfinite(scale) || scale <= 0.0)
    throw Napi::RangeError::New(env, "descriptor.scale must be a finite number > 0");

  RequireLength(env, q.length, CheckedProduct({b, h, n, dk}), "query", [&] { return Shape(layout, b, h, n, dk); });
  RequireLength(env, k.length, CheckedProduct({b, hkv, m, dk}), "key", [&] { return Shape(layout, b, hkv, m, dk); });
  RequireLength(env, v.length, CheckedProduct({b, hkv, m, dv}), "value", [&] { return Shape(layout, b, hkv, m, dv); });
  RequireLength(env, out.length, CheckedProduct({b, h, n, dv}), "out", [&] { return Shape(layout, b, h, n, dv); });
  for (const FloatView* input : {&q, &k, &v})
    if (Overlaps(out.data, out.length * 4, input->data, input->length * 4))
      throw Napi::RangeError::New(env, "out must not share memory with query, key or value");

  nonlocal::AttentionProblem p{};
  p.batch = b;
  p.heads = h;
  p.kv_heads = hkv;
  p.queries = n;
  p.keys = m;
  p.key_width = dk;
  p.value_width = dv;
  p.query = q.data;
  p.key = k.data;
  p.value = v.data;
  p.out = out.data;
  p.query_strides = StridesFor(layout, h, n, dk);
  p.key_strides = StridesFor(layout, hkv, m, dk);
  p.value_strides = StridesFor(layout, hkv, m, dv);
  p.out_strides = StridesFor(layout, h, n, dv);
  p.affinity = static_cast<nonlocal::Affinity>(affinity);
  p.scale = static_cast<float>(scale);
  p.causal = causal != 0;
  p.causal_offset = causal == kCausalUpperLeft ? 0 : m - n;

  if (bias_batch != 0) {
    if ((bias_batch != 1 && bias_batch != b) || (bias_heads != 1 && bias_heads != h))
      throw Napi::RangeError::New(env, "descriptor.biasBatch / biasHeads must be 1 or the batch / head count");
    if (p.affinity != nonlocal::Affinity::kEmbeddedGaussian && p.affinity != nonlocal::Affinity::kGaussian)
      throw Napi::TypeError::New(env, "attentionBias is for the softmax affinities only");
    const FloatView bias = RequireFloat32Array(env, Property(d, "bias"), "attentionBias");
    RequireLength(env, bias.length, CheckedProduct({bias_batch, bias_heads, n, m}), "attentionBias", [&] {
      auto s = [](int64_t x) { return std::to_string(x); };
      return "[" + s(bias_batch) + ", " + s(bias_heads) + ", " + s(n) + ", " + s(m) + "]";
    });
    if (Overlaps(out.data, out.length * 4, bias.data, bias.length * 4))
      throw Napi::RangeError::New(env, "out must not share memory with attentionBias");
    p.bias = bias.data;
    p.bias_strides = nonlocal::Strides{bias_batch == 1 ? 0 : bias_heads * n * m, bias_heads == 1 ? 0 : n * m, m};
  }

  const Napi::Value mask = Property(d, "mask");
  if (!mask.IsNull() && !mask.IsUndefined()) {
    const ByteView bytes = RequireUint8Array(env, mask, "keyPaddingMask");
    RequireLength(env, bytes.length, CheckedProduct({b, m}), "keyPaddingMask",
                  [&] { return "[" + std::to_string(b) + ", " + std::to_string(m) + "]"; });
    if (Overlaps(out.data, out.length * 4, bytes.data, bytes.length))
      throw Napi::RangeError::New(env, "out must not share memory with keyPaddingMask");
    p.key_mask = bytes.data;
  }
  if (p.affinity == nonlocal::Affinity::kConcatenation) {
    const FloatView wq = RequireFloat32Array(env, Property(d, "concatQuery"), "concatWeights.query");
    const FloatView wk = RequireFloat32Array(env, Property(d, "concatKey"), "concatWeights.key");
    const auto width = [&] { return "[" + std::to_string(dk) + "]"; };
    RequireLength(env, wq.length, dk, "concatWeights.query", width);
    RequireLength(env, wk.length, dk, "concatWeights.key", width);
    p.concat_query_weight = wq.data;
    p.concat_key_weight = wk.data;
  }
  p.cancel_flag = OptionalCancelFlag(env, d, "cancel");
  return AttentionCall{p, static_cast<int>(threads)};
}

}  // namespace nonlocal_binding
