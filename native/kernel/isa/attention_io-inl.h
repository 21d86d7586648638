// Moving operands into and out of one attention task, over the ISA's `Simd` vector type: s·Qᵀ of
// the query block, the value block as column panels, concatenation's dot products, and the
// quotients y = O / l (or O / M') in either output layout (types.h OutputLayout).
//
// Textually included by each ISA translation unit (isa_*.cc) *inside its anonymous namespace*, after
// it defines `struct Simd`, so every function here gets internal linkage in its own ISA file and no
// -mavx512f code can be shared with another unit (kernel_table.h). Includes no header.
//
// Needs microkernel-inl.h (MinInt) first; Simd as listed in attention_task-inl.h.

#ifndef NONLOCAL_KERNEL_ISA_ATTENTION_IO_INL_H_
#define NONLOCAL_KERNEL_ISA_ATTENTION_IO_INL_H_

// Value rows as column panels of the P·V tile's width T = kValueVecs·W (the microkernel reads one
// tile's slice of a key block as one contiguous run; rows of a plain V sit dv floats apart, and a
// T-wide slice of such rows — 64 B of each 256 B row on AVX2 at dv = 64 — fell on a quarter of
// L1's sets, where it and the Pᵀ rows, also 256 B apart, evicted each other).
// Row j of `rows` goes to dst + j·T + (c / T)·panel_stride for its columns c; the last panel's
// lanes past dv are 0.
constexpr int64_t kValuePanelColumns = int64_t{Simd::kValueVecs} * Simd::W;

inline void PackValueRow(const float* src, int64_t dv, int64_t panel_stride, float* dst) {
  constexpr int64_t T = kValuePanelColumns;
  for (int64_t c0 = 0; c0 < dv; c0 += T) {
    float* d = dst + c0 / T * panel_stride - c0;
    const int64_t end = MinInt(dv, c0 + T);
    int64_t c = c0;
    for (; c + Simd::W <= end; c += Simd::W) Simd::store(d + c, Simd::loadu(src + c));
    if (c < end) {
      Simd::store(d + c, Simd::loadn(src + c, static_cast<int>(end - c)));
      c += Simd::W;
    }
    for (; c < c0 + T; c += Simd::W) Simd::store(d + c, Simd::zero());
  }
}

// The block's kc live value rows (after a padding mask's gather) into the task's scratch, panel
// stride Bc·T, with value_rows pointed at them. The copy is kc·dv floats per (query block, key
// block), against 2·Br·kc·dv FLOPs of P·V.
void PackValueBlock(const float** value_rows, int64_t kc, int64_t dv, int64_t panel_stride,
                    float* pack) {
  for (int64_t j = 0; j < kc; ++j) {
    PackValueRow(value_rows[j], dv, panel_stride, pack + j * kValuePanelColumns);
    value_rows[j] = pack + j * kValuePanelColumns;
  }
}

// V rows [0, rows) (row stride src_stride) into panels of panel_stride floats at dst: once per call
// when no padding mask thins the key blocks (tiling.h BlockPlan::values_packed).
void PackValuePanels(const float* v, int64_t src_stride, int64_t rows, int64_t dv,
                     int64_t panel_stride, float* dst) {
  for (int64_t j = 0; j < rows; ++j)
    PackValueRow(v + j * src_stride, dv, panel_stride, dst + j * kValuePanelColumns);
}

float Dot(const float* a, const float* b, int64_t n) {
  typename Simd::V acc = Simd::zero();
  int64_t c = 0;
  for (; c + Simd::W <= n; c += Simd::W) acc = Simd::fmadd(Simd::loadu(a + c), Simd::loadu(b + c), acc);
  if (c < n) {
    const int tail = static_cast<int>(n - c);
    acc = Simd::fmadd(Simd::loadn(a + c, tail), Simd::loadn(b + c, tail), acc);
  }
  alignas(64) float lanes[Simd::W];
  Simd::store(lanes, acc);
  float total = 0.0f;
  for (int l = 0; l < Simd::W; ++l) total += lanes[l];
  return total;
}

// Writes y = O / denominator for `rows` rows: per row l_i (softmax; or a causal product mode's
// key count) or the shared M' (dot/concat). A row whose denominator is 0 saw no key: zeros.
// Each row is multiplied by one reciprocal: a vector division costs 5–10 times a multiplication,
// and the one extra rounding (≤ 1 ulp) is far inside the operator's error bound.
void StoreOutput(const float* acc, int64_t os, int64_t rows, int64_t dv, const float* row_sum,
                 float shared_denominator, float* out, int64_t out_row) {
  for (int64_t i = 0; i < rows; ++i) {
    const float denominator = row_sum != nullptr ? row_sum[i] : shared_denominator;
    if (denominator == 0.0f) {
      for (int64_t c = 0; c < dv; ++c) out[i * out_row + c] = 0.0f;
      continue;
    }
    const typename Simd::V inverse = Simd::set1(1.0f / denominator);
    int64_t c = 0;
    for (; c + Simd::W <= dv; c += Simd::W)
      Simd::storeu(out + i * out_row + c, Simd::mul(Simd::load(acc + i * os + c), inverse));
    if (c < dv)
      Simd::storen(out + i * out_row + c, Simd::mul(Simd::load(acc + i * os + c), inverse),
                   static_cast<int>(dv - c));
  }
}

// Where y[q][c] lives in OutputLayout::kTransposedPanels (types.h).
inline float* TransposedPanelAt(float* panels, int64_t dv, int64_t q, int64_t c) {
  return panels + q / kPanelColumns * (dv * kPanelColumns) + c * kPanelColumns + q % kPanelColumns;
}

// StoreOutput for OutputLayout::kTransposedPanels (types.h): the same quotients, written
// transposed into the panels of yᵀ for queries first_query .. first_query + rows. W × W blocks go
// through registers (Simd::transpose); a block never straddles two panels because first_query is
// a multiple of the query tile, hence of W, and W divides P.
void StoreOutputTransposed(const float* acc, int64_t os, int64_t rows, int64_t dv,
                           const float* row_sum, float shared_denominator, int64_t first_query,
                           float* panels) {
  constexpr int64_t W = Simd::W;
  constexpr int64_t P = kPanelColumns;
  auto at = [&](int64_t i, int64_t c) { return TransposedPanelAt(panels, dv, first_query + i, c); };
  // The reciprocal of each row's denominator, as StoreOutput (no row here has a zero one: the
  // transposed layout is the block's, whose queries all see every key).
  auto inverse = [&](int64_t i) {
    return 1.0f / (row_sum != nullptr ? row_sum[i] : shared_denominator);
  };
  const int64_t full_rows = first_query % W == 0 ? rows / W * W : 0;
  const int64_t full_cols = dv / W * W;
  for (int64_t i0 = 0; i0 < full_rows; i0 += W) {
    for (int64_t c0 = 0; c0 < full_cols; c0 += W) {
      typename Simd::V block[W];
      #pragma GCC unroll 16
      for (int l = 0; l < W; ++l)
        block[l] = Simd::mul(Simd::load(acc + (i0 + l) * os + c0), Simd::set1(inverse(i0 + l)));
      Simd::transpose(block);
      float* dst = at(i0, c0);
      #pragma GCC unroll 16
      for (int l = 0; l < W; ++l) Simd::storeu(dst + l * P, block[l]);
    }
    for (int64_t i = i0; i < i0 + W; ++i)
      for (int64_t c = full_cols; c < dv; ++c) *at(i, c) = acc[i * os + c] * inverse(i);
  }
  for (int64_t i = full_rows; i < rows; ++i)
    for (int64_t c = 0; c < dv; ++c) *at(i, c) = acc[i * os + c] * inverse(i);
}

// K rows [0, rows) as score-tile panels (tiling.h BlockPlan::keys_packed): panel t holds
// dst[t·dk·R + c·R + r] = k[tR + r][c], 0 past the last row. Each group of W rows of a tile is
// transposed W × W in registers (Simd::transpose); its R − g0 ≤ W live lanes are stored.
void PackKeyPanels(const float* k, int64_t row_stride, int64_t rows, int64_t dk, float* dst) {
  constexpr int64_t R = Simd::kScoreKeys;
  constexpr int64_t W = Simd::W;
  const int64_t tiles = (rows + R - 1) / R;
  for (int64_t t = 0; t < tiles; ++t) {
    float* panel = dst + t * dk * R;
    for (int64_t g0 = 0; g0 < R; g0 += W) {
      const int live = static_cast<int>(MinInt(W, R - g0));
      for (int64_t c0 = 0; c0 < dk; c0 += W) {
        const int cols = static_cast<int>(MinInt(W, dk - c0));
        typename Simd::V block[W];
        #pragma GCC unroll 16
        for (int64_t l = 0; l < W; ++l) {
          const int64_t key = t * R + g0 + l;
          const float* src = k + key * row_stride + c0;
          block[l] = l >= live || key >= rows ? Simd::zero()
                     : cols == W               ? Simd::loadu(src)
                                               : Simd::loadn(src, cols);
        }
        Simd::transpose(block);  // block[l]: component c0 + l of the group's keys
        for (int l = 0; l < cols; ++l) Simd::storen(panel + (c0 + l) * R + g0, block[l], live);
      }
    }
  }
}

void StoreZeros(const AttentionProblem& p, const Task& task, float* out) {
  for (int64_t i = 0; i < task.rows; ++i)
    for (int64_t c = 0; c < p.value_width; ++c) {
      if (p.out_layout == OutputLayout::kTransposedPanels)
        *TransposedPanelAt(p.out, p.value_width, task.first_query + i, c) = 0.0f;
      else
        out[i * p.out_strides.row + c] = 0.0f;
    }
}

// qt[c][i] = scale·q[i][c] for i < rows, c < dk; lanes rows ≤ i < columns are 0.
// W × W blocks transposed in registers (Simd::transpose), so each query row is read a vector at a
// time and each qt row written a vector at a time: a column-by-column scalar copy would fetch
// every query row again for each of the dk columns, and the query block (dk × Br floats, 128 KB
// for dk = 512, Br = 64) does not stay in L1 between them.
void TransposeQueries(const float* q, int64_t row_stride, int64_t rows, int64_t columns,
                      int64_t dk, float scale, int64_t br, float* qt) {
  constexpr int64_t W = Simd::W;
  const typename Simd::V s = Simd::set1(scale);
  const int64_t full_rows = rows / W * W;
  const int64_t full_cols = dk / W * W;
  for (int64_t i0 = 0; i0 < full_rows; i0 += W) {
    for (int64_t c0 = 0; c0 < full_cols; c0 += W) {
      typename Simd::V block[W];
      #pragma GCC unroll 16
      for (int l = 0; l < W; ++l) block[l] = Simd::mul(s, Simd::loadu(q + (i0 + l) * row_stride + c0));
      Simd::transpose(block);
      #pragma GCC unroll 16
      for (int l = 0; l < W; ++l) Simd::storeu(qt + (c0 + l) * br + i0, block[l]);
    }
    for (int64_t c = full_cols; c < dk; ++c)
      for (int64_t i = i0; i < i0 + W; ++i) qt[c * br + i] = scale * q[i * row_stride + c];
  }
  for (int64_t c = 0; c < dk; ++c) {
    for (int64_t i = full_rows; i < rows; ++i) qt[c * br + i] = scale * q[i * row_stride + c];
    for (int64_t i = rows; i < columns; ++i) qt[c * br + i] = 0.0f;
  }
}

#endif  // NONLOCAL_KERNEL_ISA_ATTENTION_IO_INL_H_
