#include "block_args.h"

#include <cmath>
#include <initializer_list>
#include <string>
#include <vector>

#include "../kernel/types.h"
#include "tensor_args.h"

namespace nonlocal_binding {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 32;
constexpr const char* kWhat = "descriptor";

std::string Dims(std::initializer_list<int64_t> dims) {
  std::string s = "[";
  for (int64_t d : dims) s += (s.size() > 1 ? ", " : "") + std::to_string(d);
  return s + "]";
}

// A weight array of exactly `length` floats (or nullptr when `length` is 0 and the slot is null).
const float* RequireWeight(const Napi::Env& env, const Napi::Object& d, const char* key,
                           int64_t length, std::vector<FloatView>* seen) {
  Napi::Value v = Property(d, key);
  if (length == 0 && (v.IsNull() || v.IsUndefined())) return nullptr;
  const std::string name = std::string("descriptor.") + key;
  const FloatView view = RequireFloat32Array(env, v, name.c_str());
  RequireLength(env, view.length, length, name.c_str(), [&] { return Dims({length}); });
  seen->push_back(view);
  return view.data;
}

}  // namespace

BlockCall ParseBlockCall(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[2].IsObject())
    throw Napi::TypeError::New(env, "nonLocalBlock(x, out, descriptor) takes 3 arguments");
  const FloatView x = RequireFloat32Array(env, info[0], "x");
  const FloatView out = RequireFloat32Array(env, info[1], "out");
  const Napi::Object d = info[2].As<Napi::Object>();

  nonlocal::BlockProblem p{};
  p.batch = RequireInteger(env, d, "batch", 1, kMaxDim, kWhat);
  p.channels = RequireInteger(env, d, "channels", 1, kMaxDim, kWhat);
  p.inter = RequireInteger(env, d, "inter", 1, kMaxDim, kWhat);
  p.t = RequireInteger(env, d, "t", 1, kMaxDim, kWhat);
  p.h = RequireInteger(env, d, "h", 1, kMaxDim, kWhat);
  p.w = RequireInteger(env, d, "w", 1, kMaxDim, kWhat);
  p.pool_t = RequireInteger(env, d, "poolT", 1, 2, kWhat);
  p.pool_h = RequireInteger(env, d, "poolH", 1, 2, kWhat);
  p.pool_w = RequireInteger(env, d, "poolW", 1, 2, kWhat);
  const Napi::Value before = Property(d, "poolBeforeConv");
  if (!before.IsBoolean()) throw Napi::TypeError::New(env, "descriptor.poolBeforeConv must be a boolean");
  p.pool_before_conv = before.As<Napi::Boolean>().Value();
  p.affinity = static_cast<nonlocal::Affinity>(RequireInteger(env, d, "affinity", 0, 3, kWhat));
  const double scale = RequireNumber(env, d, "scale", kWhat);
  if (!std::isfinite(scale) || scale <= 0.0)
    throw Napi::RangeError::New(env, "descriptor.scale must be a finite number > 0");
  p.scale = static_cast<float>(scale);
  const int64_t threads = RequireInteger(env, d, "threads", 1, nonlocal::kMaxThreads, kWhat);
  const bool pooled = p.pool_t > 1 || p.pool_h > 1 || p.pool_w > 1;
  if (p.pool_before_conv && !pooled)
    throw Napi::RangeError::New(env, "descriptor.poolBeforeConv needs a pooling kernel");
  if (p.t / p.pool_t < 1 || p.h / p.pool_h < 1 || p.w / p.pool_w < 1)
    throw Napi::RangeError::New(env, "sub-sampling " + Dims({p.t, p.h, p.w}) + " by " +
                                         Dims({p.pool_t, p.pool_h, p.pool_w}) +
                                         " leaves no key positions");

  const int64_t n = CheckedProduct({p.t, p.h, p.w});
  const auto x_shape = [&] {
    return "[B=" + std::to_string(p.batch) + ", C=" + std::to_string(p.channels) + ", N=" +
           std::to_string(n) + "]";
  };
  RequireLength(env, x.length, CheckedProduct({p.batch, p.channels, n}), "x", x_shape);
  RequireLength(env, out.length, x.length, "out", x_shape);

  std::vector<FloatView> weights;
  const int64_t kx = nonlocal::ProjectionColumnsX(p);
  const int64_t kp = nonlocal::ProjectionColumnsPooled(p);
  // wx and wp come as column panels: C × (columns rounded up to whole panels).
  const auto panelled = [](int64_t columns) {
    return (columns + nonlocal::kPanelColumns - 1) / nonlocal::kPanelColumns * nonlocal::kPanelColumns;
  };
  p.wx = RequireWeight(env, d, "wx", CheckedProduct({p.channels, panelled(kx)}), &weights);
  p.bx = RequireWeight(env, d, "bx", kx, &weights);
  p.wp = RequireWeight(env, d, "wp", CheckedProduct({p.channels, panelled(kp)}), &weights);
  p.bp = RequireWeight(env, d, "bp", kp, &weights);
  p.out_wt = RequireWeight(env, d, "outWt", CheckedProduct({p.inter, p.channels}), &weights);
  p.out_b = RequireWeight(env, d, "outB", p.channels, &weights);
  const bool concat = p.affinity == nonlocal::Affinity::kConcatenation;
  p.concat_theta = RequireWeight(env, d, "concatTheta", concat ? p.inter : 0, &weights);
  p.concat_phi = RequireWeight(env, d, "concatPhi", concat ? p.inter : 0, &weights);

  weights.push_back(x);
  for (const FloatView& input : weights)
    if (Overlaps(out.data, out.length * 4, input.data, input.length * 4))
      throw Napi::RangeError::New(env, "out must not share memory with x or the weights");
  p.x = x.data;
  p.out = out.data;
  p.cancel_flag = OptionalCancelFlag(env, d, "cancel");
  return BlockCall{p, static_cast<int>(threads)};
}

}  // namespace nonlocal_binding
