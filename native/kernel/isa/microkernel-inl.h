// The outer-product microkernel, written once over the ISA's `Simd` vector type: the P·V step of
// the attention task and, through OuterAccumulate (the table's outer_accumulate, kernel_table.h),
// every GEMM of the block (gemm.cc).
//
// Textually included by each ISA translation unit (isa_*.cc) *inside its anonymous namespace*, after
// it defines `struct Simd`, so every function here gets internal linkage in its own ISA file and no
// -mavx512f code can be shared with another unit (kernel_table.h). Includes no header.
//
// Simd must provide (see isa_*.cc):
//   V, W                        vector type and its float lanes
//   kValueRows, kValueVecs      tile: kValueRows rows × kValueVecs·W columns
//   zero set1 loadu loadn(p, n) storeu storen(p, v, n) fmadd(a, b, c) = a·b + c, add

#ifndef NONLOCAL_KERNEL_ISA_MICROKERNEL_INL_H_
#define NONLOCAL_KERNEL_ISA_MICROKERNEL_INL_H_

inline int64_t MinInt(int64_t a, int64_t b) { return a < b ? a : b; }

// Stores the v-th vector of a tile row whose last vector holds `tail` live floats: the output
// may be the caller's tensor (any alignment, rows packed end to end), so nothing past the live
// columns is written.
template <int NV>
inline void StoreTileVector(float* p, int v, typename Simd::V x, int tail) {
  if (v + 1 < NV || tail == Simd::W) Simd::storeu(p, x);
  else Simd::storen(p, x, tail);
}
template <int NV>
inline typename Simd::V LoadTileVector(const float* p, int v, int tail) {
  return v + 1 < NV || tail == Simd::W ? Simd::loadu(p) : Simd::loadn(p, tail);
}

// P·V tile for R query rows and NV value vectors (the last one holds `tail` ≤ W live columns):
//   o[r][:] = rescale[r]·o[r][:] + Σ_j pt[j][r] · value_rows[j][offset:]     (attention)
//   o[r][:] =            o[r][:] + Σ_j …                                      (a GEMM depth pass)
//   o[r][:] = Σ_j … + the GemmInit terms      (`init` non-null: a GEMM's first pass, or the first
//                                              key block of attention; o is not read)
// The block's sum starts from zero and is added to the rescaled O at the end: the same loads and
// stores as accumulating into O directly, but each float32 addition chain is one key block long
// (Bc) plus one term per block, rather than all M keys long — at M = 4096 that is about 25 times
// less rounding error for the same cost.
// The depth loop of ValueTile: acc[r][:] += Σ_j A[r][j] · value_rows[j][offset:], with A[r][j] =
// pt[j·br + r] (depth-major: Pᵀ, s·Qᵀ, the GEMM's micro-panels) or, kRowMajorA, pt[r·br + j]
// (P in the row layout). kFullLast: the last vector is whole and takes a plain load — a masked
// load (vmaskmovps) costs AVX2 an extra vector-ALU µop per key, taken from the FMA ports (8 % of
// a 6 × 16 tile's 12 FMAs).
template <int R, int NV, bool kFullLast, bool kRowMajorA>
__attribute__((always_inline)) inline void ValueProducts(typename Simd::V (&acc)[R][NV],
                                                         const float* pt, int64_t br,
                                                         const float* const* value_rows,
                                                         int64_t offset, int64_t kc, int tail) {
  #pragma GCC unroll 4  // as ScoreTile's depth loop (attention_task-inl.h)
  for (int64_t j = 0; j < kc; ++j) {
    const float* vrow = value_rows[j] + offset;
    typename Simd::V x[NV];
    #pragma GCC unroll 32
    for (int v = 0; v + 1 < NV; ++v) x[v] = Simd::loadu(vrow + v * Simd::W);
    x[NV - 1] = kFullLast ? Simd::loadu(vrow + (NV - 1) * Simd::W)
                          : Simd::loadn(vrow + (NV - 1) * Simd::W, tail);
    const float* p = kRowMajorA ? pt + j : pt + j * br;
    #pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      const typename Simd::V pr = Simd::set1(kRowMajorA ? p[r * br] : p[r]);
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) acc[r][v] = Simd::fmadd(pr, x[v], acc[r][v]);
    }
  }
}

template <int R, int NV, bool kRowMajorA>
void ValueTile(const float* pt, int64_t br, const float* const* value_rows, int64_t offset,
               int64_t kc, int tail, float* o, int64_t os, const float* rescale,
               const GemmInit* init) {
  typename Simd::V acc[R][NV];
  #pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 32
    for (int v = 0; v < NV; ++v) acc[r][v] = Simd::zero();
  if (tail == Simd::W) ValueProducts<R, NV, true, kRowMajorA>(acc, pt, br, value_rows, offset, kc, tail);
  else ValueProducts<R, NV, false, kRowMajorA>(acc, pt, br, value_rows, offset, kc, tail);
  if (init != nullptr) {  // o was never written: no load, and no separate pass for the extra terms
    if (init->column_bias != nullptr) {
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) {
        const typename Simd::V b = LoadTileVector<NV>(init->column_bias + v * Simd::W, v, tail);
        #pragma GCC unroll 32
        for (int r = 0; r < R; ++r) acc[r][v] = Simd::add(b, acc[r][v]);
      }
    }
    #pragma GCC unroll 32
    for (int r = 0; r < R; ++r) {
      if (init->row_bias != nullptr) {
        const typename Simd::V b = Simd::set1(init->row_bias[r]);
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v) acc[r][v] = Simd::add(acc[r][v], b);
      }
      if (init->residual != nullptr) {
        const float* res = init->residual + r * init->residual_stride;
        #pragma GCC unroll 32
        for (int v = 0; v < NV; ++v)
          acc[r][v] = Simd::add(LoadTileVector<NV>(res + v * Simd::W, v, tail), acc[r][v]);
      }
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v) StoreTileVector<NV>(o + r * os + v * Simd::W, v, acc[r][v], tail);
    }
    return;
  }
  #pragma GCC unroll 32
  for (int r = 0; r < R; ++r) {
    float* row = o + r * os;
    if (rescale != nullptr) {
      const typename Simd::V a = Simd::set1(rescale[r]);
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v)
        StoreTileVector<NV>(row + v * Simd::W, v,
                            Simd::fmadd(a, LoadTileVector<NV>(row + v * Simd::W, v, tail), acc[r][v]), tail);
    } else {
      #pragma GCC unroll 32
      for (int v = 0; v < NV; ++v)
        StoreTileVector<NV>(row + v * Simd::W, v,
                            Simd::add(LoadTileVector<NV>(row + v * Simd::W, v, tail), acc[r][v]), tail);
    }
  }
}

using ValueTileFn = void (*)(const float*, int64_t, const float* const*, int64_t, int64_t, int,
                             float*, int64_t, const float*, const GemmInit*);

// ValueTile instances indexed [A layout][rows − 1][vectors − 1], so row and column tails need no
// branches inside the inner loop.
template <int R, bool kRowMajorA>
struct ValueTileRow {
  template <int NV>
  static void Fill(ValueTileFn* row) {
    row[NV - 1] = &ValueTile<R, NV, kRowMajorA>;
    if constexpr (NV > 1) Fill<NV - 1>(row);
  }
};

template <int R, bool kRowMajorA>
void FillValueTiles(ValueTileFn (*table)[Simd::kValueVecs]) {
  ValueTileRow<R, kRowMajorA>::template Fill<Simd::kValueVecs>(table[R - 1]);
  if constexpr (R > 1) FillValueTiles<R - 1, kRowMajorA>(table);
}

struct ValueTiles {
  ValueTileFn fn[2][Simd::kValueRows][Simd::kValueVecs];
  ValueTiles() {
    FillValueTiles<Simd::kValueRows, false>(fn[0]);
    FillValueTiles<Simd::kValueRows, true>(fn[1]);
  }
};

// O (rows × dv) += Pᵀ-block · V-block, over every query row tile and value column tile.
// Column tiles outside, row tiles inside: one column tile's slice of the V block (kc × 64 floats)
// stays in L1 while every row tile streams past it. (Rows outside would re-stream the whole
// V block — for the block's 1×1 convolutions, a 1.5 MB weight panel — from L3 per row tile.)
// The V block is plain rows (panel_stride = 0) or column panels (types.h), whose column
// tile c0 starts (c0 / P)·panel_stride floats into each row pointer.
// Row tile k of Pᵀ starts k·tile_stride floats into pt: kValueRows for Pᵀ itself, or
// kValueRows·br for the GEMM's A packed as micro-panels (row tile k's kc × kValueRows block
// contiguous, read with br = kValueRows) and for a row-major A (`row_major_a`: P of the row
// layout, A[r][j] = pt[r·br + j]).
// Panels are kPanelColumns wide, or `panel_width` (a multiple of the column tile: the GEMM's B
// repacked to one column tile per panel, gemm.cc).
// Columns [c_begin, c_end) of O (c_begin a multiple of the column tile; 0 for attention).
void AccumulateValues(const float* pt, int64_t br, int64_t tile_stride, int64_t rows,
                      const float* const* value_rows, int64_t panel_stride, int64_t kc,
                      int64_t c_begin, int64_t c_end, float* acc, int64_t os,
                      const float* rescale, const GemmInit* init = nullptr,
                      int64_t panel_width = kPanelColumns, const int64_t* row_tile_depth = nullptr,
                      bool row_major_a = false) {
  static const ValueTiles tiles;
  constexpr int64_t kColumns = int64_t{Simd::kValueVecs} * Simd::W;
  for (int64_t c0 = c_begin; c0 < c_end; c0 += kColumns) {
    const int64_t live = MinInt(kColumns, c_end - c0);
    const int nv = static_cast<int>((live + Simd::W - 1) / Simd::W);
    const int tail = static_cast<int>(live - int64_t{nv - 1} * Simd::W);
    const int64_t offset =
        panel_stride > 0 ? c0 / panel_width * panel_stride + c0 % panel_width : c0;
    for (int64_t i0 = 0; i0 < rows; i0 += Simd::kValueRows) {
      const int r = static_cast<int>(MinInt(Simd::kValueRows, rows - i0));
      GemmInit tile_init{};
      if (init != nullptr) {
        tile_init.column_bias = init->column_bias == nullptr ? nullptr : init->column_bias + c0;
        tile_init.row_bias = init->row_bias == nullptr ? nullptr : init->row_bias + i0;
        tile_init.residual =
            init->residual == nullptr ? nullptr : init->residual + i0 * init->residual_stride + c0;
        tile_init.residual_stride = init->residual_stride;
      }
      // A causal block: row tile k needs only the first row_tile_depth[k] keys (the rest are
      // exact zeros of Pᵀ for all its rows).
      const int64_t depth = row_tile_depth == nullptr ? kc : row_tile_depth[i0 / Simd::kValueRows];
      tiles.fn[row_major_a][r - 1][nv - 1](pt + i0 / Simd::kValueRows * tile_stride, br, value_rows, offset,
                              depth, tail, acc + i0 * os + c0, os,
                              rescale == nullptr ? nullptr : rescale + i0,
                              init == nullptr ? nullptr : &tile_init);
    }
  }
}

void OuterAccumulate(const float* a_panels, int64_t rows, const float* const* b_rows,
                     int64_t panel_stride, int64_t depth, int64_t col_begin, int64_t col_end,
                     float* acc, int64_t acc_stride, const GemmInit* init, int64_t panel_width) {
  AccumulateValues(a_panels, Simd::kValueRows, Simd::kValueRows * depth, rows, b_rows,
                   panel_stride, depth, col_begin, col_end, acc, acc_stride, nullptr, init,
                   panel_width);
}

#endif  // NONLOCAL_KERNEL_ISA_MICROKERNEL_INL_H_
