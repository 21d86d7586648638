// One attention task (the table's run_task, kernel_table.h): a query block streamed against every
// key block, written once over the ISA's `Simd` vector type.
//
// Textually included by each ISA translation unit (isa_*.cc) *inside its anonymous namespace*, after
// it defines `struct Simd`, so every function here gets internal linkage in its own ISA file and no
// -mavx512f code can be shared with another unit (kernel_table.h). Includes no header.
//
// Needs microkernel-inl.h and attention_io-inl.h first, and runtime/phase_profile.h (the ISA file
// includes it before its namespace).
//
// Simd must provide:
//   V, W                        vector type and its float lanes
//   kScoreKeys, kScoreVecs      Sᵀ microkernel tile: kScoreKeys keys × kScoreVecs·W queries
//   kValueRows, kValueVecs      P·V microkernel tile: kValueRows queries × kValueVecs·W value columns
//   zero set1 load loadu loadn(p, n) store storeu storen(p, v, n) fmadd(a, b, c) = a·b + c
//   add sub mul div max(a, b) (NaN in b wins) exp (accurate to a few ulp, exp(-inf) = 0, NaN → NaN)
//   exp_nonpositive             exp for x ≤ 0, −∞ or NaN only (exp-inl.h)
//   transpose(V (&rows)[W])     in-place W × W transpose
//
// The recurrence (flash attention; Dao et al. 2022, and ONNX Runtime's MLAS flashattn.cpp). For a
// query block Q and streamed key blocks K_t, V_t:
//   S   = (s·Q) K_tᵀ                    logits of this block
//   m'  = max(m, rowmax(S))             running row max (m starts at −∞)
//   P   = exp(S − m')                   un-normalised probabilities
//   l   = exp(m − m')·l + rowsum(P)     running denominator
//   O   = exp(m − m')·O + P V_t         running numerator
//   y   = O / l                         after the last block
// dot_product and concatenation have no max/exp: O += F V_t, and y = O / M'.
//
// Masks. A padding-masked key is left out of the gathered key list (no work, and garbage in its row
// cannot leak). A causal mask or an additive bias changes the logits of the gathered keys: bias
// entries are added to Sᵀ, and keys a query may not see get −∞ (softmax; exp → 0) or 0 (the
// product modes). Key blocks that no query of the task may see are not visited. A row whose
// logits are all −∞ keeps m = −∞: its exponentials use max(m, −FLT_MAX) as the shift, so they are
// exp(−∞) = 0 rather than exp(−∞ + ∞) = NaN, l stays 0, and the store writes zeros.
//
// Layout choice: the logits are computed transposed, Sᵀ = K (s·Q)ᵀ, with queries along the vector
// lanes. K is then read row by row straight from the caller's tensor (one broadcast per element),
// only the small query block needs a transpose, and the row max / row sum of the softmax become
// element-wise vector max / add down the key axis — no horizontal reductions anywhere.


#ifndef NONLOCAL_KERNEL_ISA_ATTENTION_TASK_INL_H_
#define NONLOCAL_KERNEL_ISA_ATTENTION_TASK_INL_H_

constexpr float kNegativeInfinity = -__builtin_inff();
constexpr int64_t kLineFloats = 16;  // floats per 64-byte cache line

// Sᵀ tile: st[r][0 .. kScoreVecs·W) = Σ_c k_r[c] · qt[c][0 .. kScoreVecs·W), r < R (kScoreKeys,
// or fewer for the block's last keys), where k_r is key_rows[r] or, kPacked, column r of the tile's
// panel (k_r[c] = panel[c·kScoreKeys + r]; tiling.h BlockPlan::keys_packed). `qt` and `st` are
// already offset to the tile's first query column; both have row stride `br`.
template <int R, bool kPacked>
void ScoreTile(const float* const* key_rows, const float* panel, const float* qt, int64_t br,
               int64_t dk, float* st) {
  constexpr int NV = Simd::kScoreVecs;
  typename Simd::V acc[R][NV];
  #pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) acc[r][v] = Simd::zero();
  const float* krow[R];
  #pragma GCC unroll 32
  for (int r = 0; r < R; ++r) krow[r] = kPacked ? nullptr : key_rows[r];
  // Unrolled 4 deep: measured 25–40 % faster than one step per iteration on the Sᵀ tile alone,
  // L1-resident (docs/performance.md).
  #pragma GCC unroll 4
  for (int64_t c = 0; c < dk; ++c) {
    typename Simd::V q[NV];
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) q[v] = Simd::load(qt + c * br + v * Simd::W);
    #pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      const typename Simd::V k =
          Simd::set1(kPacked ? panel[c * Simd::kScoreKeys + r] : krow[r][c]);
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) acc[r][v] = Simd::fmadd(k, q[v], acc[r][v]);
    }
  }
  #pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) Simd::store(st + r * br + v * Simd::W, acc[r][v]);
}

using ScoreTileFn = void (*)(const float* const*, const float*, const float*, int64_t, int64_t,
                            float*);

// ScoreTile<R, kPacked> for R = 1 .. kScoreKeys, indexed [kPacked][R − 1]: a block whose key count
// is not a multiple of the tile height ends on a shorter tile instead of computing padding rows (a
// 64-key block on 12-key tiles would compute 8 of them, 12 % of its QK work).
struct ScoreTiles {
  ScoreTileFn fn[2][Simd::kScoreKeys];
  template <int R>
  void Fill() {
    fn[0][R - 1] = &ScoreTile<R, false>;
    fn[1][R - 1] = &ScoreTile<R, true>;
    if constexpr (R > 1) Fill<R - 1>();
  }
  ScoreTiles() { Fill<Simd::kScoreKeys>(); }
};

// Online-softmax step over G query vectors of one block of Sᵀ (kc keys), in place: Sᵀ becomes
// Pᵀ = exp(Sᵀ − m'), and m, l and the O rescale factor exp(m − m') are updated per query lane.
// The G vectors are walked side by side: a single vector's max and sum are chains of kc dependent
// vmaxps / vaddps (4 cycles each on Intel cores), so one at a time the max pass ran at a quarter
// of a load per cycle. Each lane's max and sum still run over j in order: the same bits for any G.
template <int G>
void SoftmaxVectors(float* st, int64_t br, int64_t kc, float* row_max, float* row_sum,
                    float* rescale) {
  using V = typename Simd::V;
  V block_max[G];
  #pragma GCC unroll 8
  for (int g = 0; g < G; ++g) block_max[g] = Simd::set1(kNegativeInfinity);
  for (int64_t j = 0; j < kc; ++j) {
    #pragma GCC unroll 8
    for (int g = 0; g < G; ++g) block_max[g] = Simd::max(block_max[g], Simd::load(st + j * br + g * Simd::W));
  }
  V shift[G], alpha[G], sum[G];
  #pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
    const V m_old = Simd::load(row_max + g * Simd::W);
    const V m_new = Simd::max(m_old, block_max[g]);
    // The shift: m' itself, or −FLT_MAX while m' = −∞ (every logit so far masked), so that
    // exp(−∞ − shift) = 0 (NaN in m' stays NaN: Simd::max lets NaN in b win).
    shift[g] = Simd::max(Simd::set1(-__FLT_MAX__), m_new);
    // First live block: m_old = −∞, so the factor is exp(−∞) = 0 and l = 0·0 + Σ p. O needs no
    // factor: that block writes O rather than rescaling it (RunTask passes AccumulateValues an init).
    alpha[g] = Simd::exp(Simd::sub(m_old, shift[g]));
    Simd::store(row_max + g * Simd::W, m_new);
    sum[g] = Simd::zero();
  }
  for (int64_t j = 0; j < kc; ++j) {
    #pragma GCC unroll 8
    for (int g = 0; g < G; ++g) {
      float* x = st + j * br + g * Simd::W;
      const V p = Simd::exp_nonpositive(Simd::sub(Simd::load(x), shift[g]));
      Simd::store(x, p);
      sum[g] = Simd::add(sum[g], p);
    }
  }
  #pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
    Simd::store(row_sum + g * Simd::W, Simd::fmadd(alpha[g], Simd::load(row_sum + g * Simd::W), sum[g]));
    Simd::store(rescale + g * Simd::W, alpha[g]);
  }
}

// SoftmaxVectors over the block's `columns` query lanes (a multiple of W), four vectors at a time.
void SoftmaxStep(float* st, int64_t br, int64_t kc, int64_t columns, float* row_max,
                 float* row_sum, float* rescale) {
  constexpr int64_t W = Simd::W;
  int64_t i0 = 0;
  for (; i0 + 4 * W <= columns; i0 += 4 * W)
    SoftmaxVectors<4>(st + i0, br, kc, row_max + i0, row_sum + i0, rescale + i0);
  if (i0 + 2 * W <= columns) {
    SoftmaxVectors<2>(st + i0, br, kc, row_max + i0, row_sum + i0, rescale + i0);
    i0 += 2 * W;
  }
  if (i0 < columns) SoftmaxVectors<1>(st + i0, br, kc, row_max + i0, row_sum + i0, rescale + i0);
}

// SoftmaxStep for S in the row layout (`rows` queries × kc keys, row stride ld, a multiple of W
// with room for whole vectors), in place: the same recurrence. Each query's block max and block
// sum are first W-wide partials down its row; the partials of W rows are transposed in registers
// (Simd::transpose) and combined lane-wise, so W queries' m, l and exp(m − m') are vectors, as in
// the Sᵀ layout — W·log2(W) shuffles per W rows and block, where a reduction per row would be a
// chain of dependent shuffles.
void SoftmaxRows(float* sc, int64_t ld, int64_t rows, int64_t kc, float* row_max, float* row_sum,
                 float* rescale) {
  constexpr int64_t W = Simd::W;
  const int64_t width = (kc + W - 1) / W * W;
  // The lanes past the last key hold −∞: they add nothing to the max and exp(−∞) = 0 to the sum.
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = kc; j < width; ++j) sc[i * ld + j] = kNegativeInfinity;
  const typename Simd::V lowest = Simd::set1(-__FLT_MAX__);
  alignas(64) float shifts[W];
  for (int64_t i0 = 0; i0 < rows; i0 += W) {
    const int64_t n = MinInt(W, rows - i0);
    typename Simd::V part[W];
    for (int64_t l = 0; l < W; ++l) {
      part[l] = Simd::set1(kNegativeInfinity);
      if (l >= n) continue;
      const float* row = sc + (i0 + l) * ld;
      for (int64_t j = 0; j < width; j += W) part[l] = Simd::max(part[l], Simd::load(row + j));
    }
    Simd::transpose(part);  // part[c] lane l: the max over keys ≡ c (mod W) of row i0 + l
    typename Simd::V block_max = part[0];
    for (int64_t c = 1; c < W; ++c) block_max = Simd::max(block_max, part[c]);
    const typename Simd::V m_old = Simd::load(row_max + i0);
    const typename Simd::V m_new = Simd::max(m_old, block_max);
    const typename Simd::V shift = Simd::max(lowest, m_new);  // as in SoftmaxStep
    const typename Simd::V alpha = Simd::exp(Simd::sub(m_old, shift));
    Simd::store(shifts, shift);
    for (int64_t l = 0; l < W; ++l) {
      part[l] = Simd::zero();
      if (l >= n) continue;
      float* row = sc + (i0 + l) * ld;
      const typename Simd::V sl = Simd::set1(shifts[l]);
      for (int64_t j = 0; j < width; j += W) {
        const typename Simd::V e = Simd::exp_nonpositive(Simd::sub(Simd::load(row + j), sl));
        Simd::store(row + j, e);
        part[l] = Simd::add(part[l], e);
      }
    }
    Simd::transpose(part);
    typename Simd::V block_sum = part[0];
    for (int64_t c = 1; c < W; ++c) block_sum = Simd::add(block_sum, part[c]);
    Simd::store(row_sum + i0, Simd::fmadd(alpha, Simd::load(row_sum + i0), block_sum));
    Simd::store(row_max + i0, m_new);
    Simd::store(rescale + i0, alpha);
  }
}

// Concatenation's affinity tile: F[j][i] = ReLU(w_q·q_i + w_k·k_j).
void ConcatScores(const float* query_dot, const float* key_dot, int64_t kc, int64_t columns,
                  int64_t br, float* st) {
  const typename Simd::V zero = Simd::zero();
  for (int64_t j = 0; j < kc; ++j) {
    const typename Simd::V b = Simd::set1(key_dot[j]);
    for (int64_t i0 = 0; i0 < columns; i0 += Simd::W)
      Simd::store(st + j * br + i0, Simd::max(zero, Simd::add(Simd::load(query_dot + i0), b)));
  }
}

// Sᵀ[j][i] += bias[i][key_index[j]] for j < kc, i < rows (bias row i at bias + i·row_stride).
// With consecutive keys, W × W blocks of the bias are read a row (a query's keys) at a time and
// transposed in registers (Simd::transpose) to the queries-along-lanes layout of Sᵀ; after a
// padding mask left gaps in the key list, element by element.
void AddBias(float* st, int64_t br, int64_t kc, int64_t rows, const int64_t* key_index,
             bool consecutive, const float* bias, int64_t row_stride) {
  constexpr int64_t W = Simd::W;
  if (!consecutive) {
    for (int64_t i = 0; i < rows; ++i) {
      const float* b = bias + i * row_stride;
      for (int64_t j = 0; j < kc; ++j) st[j * br + i] += b[key_index[j]];
    }
    return;
  }
  const float* b0 = bias + key_index[0];
  for (int64_t i0 = 0; i0 < rows; i0 += W) {
    const int64_t live_rows = MinInt(W, rows - i0);
    for (int64_t j0 = 0; j0 < kc; j0 += W) {
      const int keys = static_cast<int>(MinInt(W, kc - j0));
      typename Simd::V block[W];
      #pragma GCC unroll 16
      for (int l = 0; l < W; ++l) {
        const float* src = b0 + (i0 + l) * row_stride + j0;
        block[l] = l >= live_rows ? Simd::zero() : keys == W ? Simd::loadu(src) : Simd::loadn(src, keys);
      }
      Simd::transpose(block);  // block[l]: key j0 + l, queries i0 .. i0 + W
      for (int l = 0; l < keys; ++l) {
        float* dst = st + (j0 + l) * br + i0;
        Simd::store(dst, Simd::add(Simd::load(dst), block[l]));
      }
    }
  }
}

// Causal mask on one block of Sᵀ: query i may see key j only if j ≤ limit0 + i (limit0: the
// task's first query plus the causal offset), so the first key_index[j] − limit0 queries of key
// row j get `hidden` (−∞ before a softmax, 0 for the product modes).
void MaskCausal(float* st, int64_t br, int64_t kc, int64_t columns, const int64_t* key_index,
                int64_t limit0, float hidden) {
  for (int64_t j = 0; j < kc; ++j) {
    const int64_t blind = key_index[j] - limit0;
    const int64_t end = blind < 0 ? 0 : MinInt(columns, blind);
    float* row = st + j * br;
    for (int64_t i = 0; i < end; ++i) row[i] = hidden;
  }
}

// The caller's cancel flag (runtime/cancel.h), read here with internal linkage: an inline function
// from a shared header compiled into this -mavx512f / -mavx2 unit could be the copy the linker keeps.
inline bool Cancelled(const int32_t* flag) {
  return flag != nullptr && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

// One task: queries [first, first + rows) of one (batch, head), streamed against every key block.
void RunTask(const AttentionProblem& p, const BlockPlan& plan, const Task& task, const Scratch& s) {
  NONLOCAL_PHASE_START();  // the profiler's marks (runtime/phase_profile.h); empty otherwise
  NONLOCAL_PHASE_TASK();
  const int64_t br = plan.lane_stride;  // of s·Qᵀ and Sᵀ
  const int64_t rows = task.rows;
  const int64_t columns = (rows + Simd::kScoreVecs * Simd::W - 1) / (Simd::kScoreVecs * Simd::W) *
                          (Simd::kScoreVecs * Simd::W);
  const int64_t dk = p.key_width;
  const int64_t dv = p.value_width;
  const int64_t os = plan.value_stride;
  const bool softmax =
      p.affinity == Affinity::kEmbeddedGaussian || p.affinity == Affinity::kGaussian;
  const bool concat = p.affinity == Affinity::kConcatenation;

  const float* q = p.query + task.batch * p.query_strides.batch + task.head * p.query_strides.head +
                   task.first_query * p.query_strides.row;
  const int64_t kv_head = task.head / (p.heads / p.kv_heads);  // grouped-query heads share K, V
  const float* k = p.key + task.batch * p.key_strides.batch + kv_head * p.key_strides.head;
  const float* v = p.value + task.batch * p.value_strides.batch + kv_head * p.value_strides.head;
  float* out = p.out + task.batch * p.out_strides.batch + task.head * p.out_strides.head +
               task.first_query * p.out_strides.row;
  const uint8_t* mask = p.key_mask == nullptr ? nullptr : p.key_mask + task.batch * p.keys;
  const float* bias = p.bias == nullptr ? nullptr
                                        : p.bias + task.batch * p.bias_strides.batch +
                                              task.head * p.bias_strides.head +
                                              task.first_query * p.bias_strides.row;

  // Causal: row i sees keys j ≤ limit0 + i, so the task needs keys below key_end only.
  const int64_t limit0 = task.first_query + p.causal_offset;
  int64_t key_end = p.keys;
  if (p.causal) key_end = limit0 + rows < 0 ? 0 : MinInt(p.keys, limit0 + rows);
  int64_t live_keys = key_end;
  if (mask != nullptr) {
    live_keys = 0;
    for (int64_t j = 0; j < key_end; ++j) live_keys += mask[j] != 0;
  }
  if (live_keys == 0) {  // every key masked: the documented answer is zeros, never 0/0
    StoreZeros(p, task, out);
    return;
  }

  // Per-query prologue: s·Qᵀ for the product modes, w_q·q_i for concatenation; padding lanes are 0.
  if (concat) {
    for (int64_t i = 0; i < columns; ++i)
      s.query_dot[i] = i < rows ? Dot(q + i * p.query_strides.row, p.concat_query_weight, dk) : 0.0f;
  } else {
    TransposeQueries(q, p.query_strides.row, rows, columns, dk, p.scale, br, s.query_t);
  }
  for (int64_t i = 0; i < columns; ++i) {
    s.row_max[i] = kNegativeInfinity;
    s.row_sum[i] = 0.0f;
  }
  // The product modes divide by the number of keys each query sees: M' for all, or per row.
  const bool per_row_count = !softmax && p.causal;
  if (per_row_count) {
    int64_t j = 0;
    int64_t count = 0;
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t end = limit0 + i + 1 < 0 ? 0 : MinInt(p.keys, limit0 + i + 1);
      for (; j < end; ++j) count += mask == nullptr || mask[j] != 0;
      s.row_sum[i] = static_cast<float>(count);
    }
  }

  NONLOCAL_PHASE_MARK(kPhaseQueryPrologue);

  // The row layout keeps S row-major with this stride (one key block); Sᵀ has stride br.
  const bool row_layout = plan.keys_t != nullptr;
  // Row layout, a bias read once per call (from memory): each key block prefetches the next one's
  // bias rows. Each query's row of a block is its own short run (a 4 KB row apart at M = 1024),
  // more runs than the hardware prefetchers follow, so without this every score tile waited on its
  // bias. A bias broadcast over heads or batch items is re-read from cache, where the prefetches
  // measured slower (docs/performance.md).
  const bool prefetch_bias = row_layout && bias != nullptr &&
                             (p.bias_strides.head != 0 || p.heads == 1) &&
                             (p.bias_strides.batch != 0 || p.batch == 1);
  const int64_t ld = row_layout ? plan.key_block : br;
  bool first_block = true;
  for (int64_t j0 = 0; j0 < key_end; j0 += plan.key_block) {
    if (Cancelled(p.cancel_flag)) return;  // RunAttention reports the call as cancelled
    const int64_t block_end = MinInt(key_end, j0 + plan.key_block);
    // Causal: some query of the task may not see some key of this block (its last key is past the
    // first query's view).
    const bool straddles = p.causal && block_end - 1 > limit0;
    int64_t kc = 0;
    if (row_layout) {  // no padding mask, not causal: every key of the block is live
      kc = block_end - j0;
      const float* kt = plan.keys_t + ((task.batch * p.kv_heads + kv_head) * plan.key_blocks +
                                       j0 / plan.key_block) * dk * ld;
      for (int64_t c = 0; c < dk; ++c) s.key_t_rows[c] = kt + c * ld;
      for (int64_t j = 0; j < kc; ++j) s.value_rows[j] = v + (j0 + j) * p.value_strides.row;
      NONLOCAL_PHASE_MARK(kPhaseGather);
      // S = (s·Q)·Kᵀ + bias with the GEMM tile: A = s·Qᵀ (depth-major), B = the rows of Kᵀ, and
      // the bias as its first pass's residual term — read once, row by row, as S is stored.
      GemmInit with_bias{};
      with_bias.residual = bias == nullptr ? nullptr : bias + j0;
      with_bias.residual_stride = p.bias_strides.row;
      // The next key block's bias rows, asked for in L2 now (see prefetch_bias above).
      if (prefetch_bias && block_end < key_end) {
        const float* next = bias + block_end;
        const int64_t next_keys = MinInt(key_end, block_end + plan.key_block) - block_end;
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t c = 0; c < next_keys; c += kLineFloats)
            __builtin_prefetch(next + i * p.bias_strides.row + c, 0, 2);
      }
      AccumulateValues(s.query_t, br, Simd::kValueRows, rows, s.key_t_rows, 0, dk, 0, kc,
                       s.scores_t, ld, nullptr, &with_bias);
      NONLOCAL_PHASE_MARK(kPhaseScores);
      SoftmaxRows(s.scores_t, ld, rows, kc, s.row_max, s.row_sum, s.rescale);
      NONLOCAL_PHASE_MARK(kPhaseSoftmax);
    } else {
      // Gather the live keys of this block; masked keys take no work and never touch O, so garbage
      // (even Inf/NaN) in a masked key or value row cannot leak into the result.
      kc = 0;
      for (int64_t j = j0; j < block_end; ++j) {
        if (mask != nullptr && mask[j] == 0) continue;
        s.key_rows[kc] = k + j * p.key_strides.row;
        s.value_rows[kc] = v + j * p.value_strides.row;
        s.key_index[kc] = j;
        ++kc;
      }
      NONLOCAL_PHASE_MARK(kPhaseGather);
      if (kc == 0) continue;

      if (concat) {
        for (int64_t j = 0; j < kc; ++j) s.key_dot[j] = Dot(s.key_rows[j], p.concat_key_weight, dk);
        ConcatScores(s.query_dot, s.key_dot, kc, columns, br, s.scores_t);
      } else {
        static const ScoreTiles tiles;
        constexpr int64_t kTileQueries = Simd::kScoreVecs * Simd::W;
        // Packed panels (no padding mask: the gathered keys are j0, j0 + 1, …; j0 is a multiple
        // of the tile height, as Bc is).
        const bool packed = plan.keys_packed != nullptr;
        const float* panels =
            packed ? plan.keys_packed + ((task.batch * p.kv_heads + kv_head) * plan.key_tiles +
                                         j0 / Simd::kScoreKeys) * dk * Simd::kScoreKeys
                   : nullptr;
        for (int64_t j = 0; j < kc; j += Simd::kScoreKeys) {
          const ScoreTileFn tile = tiles.fn[packed][MinInt(Simd::kScoreKeys, kc - j) - 1];
          const float* panel = packed ? panels + j * dk : nullptr;
          for (int64_t i0 = 0; i0 < columns; i0 += kTileQueries) {
            // Causal: a tile whose first (smallest) key is past its last query's view is all hidden;
            // MaskCausal below overwrites every entry of it, so it is not computed.
            if (straddles && s.key_index[j] > limit0 + i0 + kTileQueries - 1) continue;
            tile(s.key_rows + j, panel, s.query_t + i0, br, dk, s.scores_t + j * br + i0);
          }
        }
      }

      NONLOCAL_PHASE_MARK(kPhaseScores);
      if (bias != nullptr)
        AddBias(s.scores_t, br, kc, rows, s.key_index, mask == nullptr, bias, p.bias_strides.row);
      if (straddles) {
        MaskCausal(s.scores_t, br, kc, columns, s.key_index, limit0, softmax ? kNegativeInfinity : 0.0f);
        // P·V row tile k (queries kR .. kR + R − 1) sees the gathered keys up to limit0 + its last query.
        int64_t seen = 0;
        for (int64_t i0 = 0, t = 0; i0 < rows; i0 += Simd::kValueRows, ++t) {
          const int64_t limit = limit0 + MinInt(rows, i0 + Simd::kValueRows) - 1;
          while (seen < kc && s.key_index[seen] <= limit) ++seen;
          s.row_tile_keys[t] = seen;
        }
      }

      NONLOCAL_PHASE_MARK(kPhaseMask);
      if (softmax) SoftmaxStep(s.scores_t, br, kc, columns, s.row_max, s.row_sum, s.rescale);
      NONLOCAL_PHASE_MARK(kPhaseSoftmax);
    }
    // More than one column tile: each tile's slice is reused by every row tile, so it is read from
    // tile-wide column panels — the call's (packed once: consecutive keys) or the block's own.
    int64_t panel_stride = 0;
    if (plan.values_packed != nullptr) {
      panel_stride = plan.value_panel_stride;
      const float* panels = plan.values_packed + (task.batch * p.kv_heads + kv_head) *
                                                     ((dv + kValuePanelColumns - 1) / kValuePanelColumns) *
                                                     panel_stride;
      for (int64_t j = 0; j < kc; ++j) s.value_rows[j] = panels + (j0 + j) * kValuePanelColumns;
    } else if (dv > kValuePanelColumns) {
      panel_stride = plan.key_block * kValuePanelColumns;
      PackValueBlock(s.value_rows, kc, dv, panel_stride, s.value_pack);
    }
    NONLOCAL_PHASE_MARK(kPhaseValuePack);
    // The first live block writes O (no zeroing pass over it, and nothing stale is ever read).
    static constexpr GemmInit kNothingToAdd{};
    AccumulateValues(s.scores_t, ld, row_layout ? Simd::kValueRows * ld : Simd::kValueRows, rows,
                     s.value_rows, panel_stride, kc, 0, dv, s.acc, os, softmax ? s.rescale : nullptr,
                     first_block ? &kNothingToAdd : nullptr, kValuePanelColumns,
                     straddles ? s.row_tile_keys : nullptr, row_layout);
    first_block = false;
    NONLOCAL_PHASE_MARK(kPhaseValues);
  }

  const float* row_sum = softmax || per_row_count ? s.row_sum : nullptr;
  if (p.out_layout == OutputLayout::kTransposedPanels)
    StoreOutputTransposed(s.acc, os, rows, dv, row_sum, static_cast<float>(live_keys),
                          task.first_query, p.out);
  else
    StoreOutput(s.acc, os, rows, dv, row_sum, static_cast<float>(live_keys), out, p.out_strides.row);
  NONLOCAL_PHASE_MARK(kPhaseStore);
}

#endif  // NONLOCAL_KERNEL_ISA_ATTENTION_TASK_INL_H_
