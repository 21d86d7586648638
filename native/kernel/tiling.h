// The plain data an ISA table's functions are called with (kernel_table.h): the attention
// operator's block plan, one task, one thread's scratch, and the extra terms a GEMM's first depth
// pass adds. Kernel-internal: the binding never sees these.
//
// Data only, like types.h: the ISA translation units include this header.
#ifndef NONLOCAL_KERNEL_TILING_H_
#define NONLOCAL_KERNEL_TILING_H_

#include <cstdint>

#include "types.h"

namespace nonlocal {

// How the work is cut: query blocks of `query_block` rows stream key blocks of `key_block` rows.
struct BlockPlan {
  int64_t query_block;   // Br, a multiple of KernelTable::query_tile
  // Row stride of s·Qᵀ and Sᵀ in the task's scratch: Br plus one cache line. At Br = 64 a plain
  // stride of 256 B puts a column of either (what one microkernel step reads) in a quarter of L1's
  // sets, where the P·V tile's Pᵀ column and its V slice evicted each other.
  int64_t lane_stride;
  int64_t key_block;     // Bc
  int64_t value_stride;  // dv rounded up to the vector width: row stride of the O accumulator
  // Logits in row layout (S, queries × keys, keys along the vector lanes) rather than Sᵀ: chosen
  // for an additive bias, whose [N, M] rows then add to S as it is stored instead of going
  // through W × W register transposes (attention_task-inl.h). Needs Kᵀ: the driver copies each
  // key block transposed once per call, block t of (batch, KV head) g at
  // keys_t + (g·key_blocks + t)·dk·Bc, row c = the block's keys' c-th components (Bc floats,
  // zero past the last key).
  const float* keys_t;  // nullptr: the Sᵀ layout
  int64_t key_blocks;   // ⌈M / Bc⌉
  // Sᵀ layout without a padding mask: K copied once per call as score-tile panels, so the score
  // microkernel broadcasts from one pointer rather than from R row pointers (R of the 16 general
  // registers, which spilled into vector registers and cost FMA-port µops). Tile t (keys
  // tR .. tR + R − 1, R = the table's score_keys) of (batch, KV head) g is dk × R floats at
  // keys_packed + (g·key_tiles + t)·dk·R, element (c, r) = k[tR + r][c]; keys past M are 0.
  const float* keys_packed;  // nullptr: the score tiles read the key rows in place
  int64_t key_tiles;         // ⌈M / R⌉
  // Without a padding mask, when dv spans more than one P·V tile or V's rows are not
  // vector-aligned: V copied once per call as column panels of the tile's width T (the table's
  // tile_columns), so each tile reads its slice of a key block as one contiguous, aligned run.
  // (Batch, KV head) g holds ⌈dv / T⌉ panels of M × T floats at values_packed + g·⌈dv / T⌉·M·T;
  // element (j, c) at + (c / T)·M·T + j·T + c % T (value_panel_stride = M·T); lanes past dv are 0.
  const float* values_packed;  // nullptr: each task packs its key blocks (or reads V rows in place)
  int64_t value_panel_stride;  // M·T
};

// One unit of parallel work: rows [first_query, first_query + rows) of (batch, head).
struct Task {
  int64_t batch;
  int64_t head;
  int64_t first_query;
  int64_t rows;
};

// One thread's scratch, labelled term by term (all 64-byte aligned, sizes in floats):
struct Scratch {
  float* query_t;    // dk × Br′  : s·Qᵀ of the query block (column i = query i), zero-padded
  float* scores_t;   // Bc × Br′  : Sᵀ = K·(s·Qᵀ), then Pᵀ in place
  float* acc;        // Br × dv'  : O, the unnormalised output rows
  float* row_max;    // Br        : m, running max of each query's logits
  float* row_sum;    // Br        : l, running Σ exp(logit − m)
  float* rescale;    // Br        : exp(m_old − m_new) of the current key block
  float* query_dot;  // Br        : concatenation's w_q·q_i
  float* key_dot;    // Bc        : concatenation's w_k·k_j
  const float** key_rows;    // Bc + pad : rows of the live (unmasked) keys of the block
  const float** value_rows;  // Bc + pad : the matching value rows
  int64_t* key_index;        // Bc + pad : the key index j of each gathered row (causal, bias)
  int64_t* row_tile_keys;    // Br       : causal: the gathered keys each P·V row tile can see
  float* value_pack;         // Bc × dv'' : the block's live value rows as column panels (types.h)
  const float** key_t_rows;  // dk        : row layout: the rows of the key block's Kᵀ
};

// What a GEMM's first depth pass adds to its sum as it writes the output, so that no separate
// pass over the output is needed (each pointer null = that term is 0):
//   acc[r][c] = Σ_j A[r][j]·B[j][c] + column_bias[c] + row_bias[r] + residual[r·residual_stride + c]
struct GemmInit {
  const float* column_bias;  // [cols]
  const float* row_bias;     // [rows]
  const float* residual;     // [rows][residual_stride]
  int64_t residual_stride;
};

}  // namespace nonlocal

#endif  // NONLOCAL_KERNEL_TILING_H_
