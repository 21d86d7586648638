// The driver: checks the problem, plans the blocks, allocates per-thread scratch once, and hands
// (batch, head, query block) tasks to the ISA table — in parallel with OpenMP when it is built in.
//
// Each task is computed start to finish by one thread with the same code, and the block plan's
// key block (the only size that changes rounding) never depends on the thread count, so the
// result is bitwise identical for every thread count.
#include "attention.h"

#include <cstdint>
#include <cstdlib>

#include "cache_info.h"
#include "dispatch.h"
#include "kernel_table.h"
#include "runtime/cancel.h"
#include "runtime/common.h"
#include "runtime/phase_profile.h"
#include "runtime/scratch_arena.h"
#include "runtime/scratch_carver.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nonlocal {

#if defined(NONLOCAL_PROFILE_PHASES) && (defined(__x86_64__) || defined(_M_X64))
thread_local PhaseTotals* g_phase_totals = nullptr;
PhaseTotals g_phase_profile[kProfiledThreads] = {};
uint64_t g_stage_ticks[kStageCount] = {};
#endif

namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes: a cache line, and one zmm

bool Positive(int64_t x) { return x > 0; }

// The row layout (tiling.h BlockPlan::keys_t) for a bias on consecutive keys: with it, the bias's
// [N, M] rows add straight onto S, where the Sᵀ layout transposes every W × W block of them in
// registers — log2(W) shuffles per vector of logits, against (dk + dv) / W FMAs of useful work
// per vector. It is taken where it measured faster (the table's bias_row_layout: AVX-512; on AVX2
// its 6 × 16 score GEMM ran slower than the Sᵀ tile; docs/performance.md). Padding masks and
// causal calls keep Sᵀ, whose gathered key lists and per-tile skips handle them.
bool RowLayout(const AttentionProblem& p, const KernelTable& table) {
  return table.bias_row_layout && p.bias != nullptr && p.key_mask == nullptr && !p.causal;
}

// The plan: Br queries per task (shrunk when there are too few tasks to feed every thread — Br
// does not change any rounding), Bc keys per block (fixed by the widths alone).
BlockPlan PlanBlocks(const AttentionProblem& p, const KernelTable& table, int threads) {
  const int64_t tile = table.query_tile;
  BlockPlan plan{};
  const int64_t streams = p.batch * p.heads;
  // Every task streams all of K and V (M·(dk + dv) floats) past its query block, so a larger
  // query block means less of that traffic per FLOP; it is taken only while at least four tasks
  // per thread remain to balance the team. Wide heads (dk + dv ≥ 512) take 128 queries (256 would
  // push their Qᵀ and O blocks out of L2); narrow ones (dk + dv ≤ 128) take 256 once K and V fill
  // more than half of this core's L2 (read at load: cache_info.h) — the other half holds the task's
  // Qᵀ, O and score blocks, so beyond that K and V come from L3 on every task — as their Qᵀ and O
  // blocks are small. (Measured: docs/performance.md.)
  const auto enough_tasks = [&](int64_t block) {
    return streams * ((p.queries + block - 1) / block) >= 4 * int64_t{threads};
  };
  const bool wide = p.key_width + p.value_width >= 512;
  const bool kv_beyond_l2 = p.keys * (p.key_width + p.value_width) * 4 > HostCaches().l2 / 2;
  int64_t target = 64;
  if (wide && enough_tasks(128)) target = 128;
  if (p.key_width + p.value_width <= 128 && kv_beyond_l2 && enough_tasks(256)) target = 256;
  // Causal: a task streams the keys up to its last query's diagonal. The tiles wholly past the
  // diagonal are skipped (attention_task-inl.h), but the task's share of keys it reads for only
  // some of its queries still grows with Br, while small blocks re-stream K and V more often:
  // 64 queries measured best (causal ÷ unmasked at [1,4096,64]²: 0.52–0.56 for 32, 64 and 128,
  // 0.59 for 256; docs/performance.md).
  if (p.causal && target > 64) target = 64;
  plan.query_block = RoundUp(p.queries < target ? p.queries : target, tile);
  while (plan.query_block > tile &&
         streams * ((p.queries + plan.query_block - 1) / plan.query_block) < 2 * int64_t{threads})
    plan.query_block -= tile;
  // About 128 keys (64 for wide values, so a column tile of the V block stays in L1), rounded
  // down to whole Sᵀ tiles (a block's last tile may be shorter, but runs fewer FMAs per load).
  // The row layout's key blocks are whole vectors of S (every table's width divides 64).
  const int64_t key_target = p.value_width <= 128 ? 128 : 64;
  plan.key_block = RowLayout(p, table) ? key_target : key_target / table.score_keys * table.score_keys;
  plan.lane_stride = plan.query_block + kAlignFloats;
  plan.key_blocks = (p.keys + plan.key_block - 1) / plan.key_block;
  plan.key_tiles = (p.keys + table.score_keys - 1) / table.score_keys;
  plan.value_stride = RoundUp(p.value_width, kAlignFloats);
  return plan;
}

// One thread's scratch (tiling.h), carved in this order; ScratchCarver pads every piece to 64 bytes.
Scratch CarveScratch(const AttentionProblem& p, const BlockPlan& plan, ScratchCarver* carve) {
  const int64_t br = plan.query_block;
  const int64_t bc = plan.key_block;
  Scratch s{};
  s.query_t = carve->Floats(p.key_width * plan.lane_stride);
  s.scores_t = carve->Floats(bc * plan.lane_stride);
  s.acc = carve->Floats(br * plan.value_stride);
  s.row_max = carve->Floats(br);
  s.row_sum = carve->Floats(br);
  s.rescale = carve->Floats(br);
  s.query_dot = carve->Floats(br);
  s.key_dot = carve->Floats(bc);
  // Column panels of the value block (used when dv spans more than one microkernel tile).
  s.value_pack = carve->Floats(plan.key_block * RoundUp(p.value_width, kPanelColumns));
  s.key_rows = carve->Pointers(bc);
  s.value_rows = carve->Pointers(bc);
  s.key_index = carve->Indices(bc);
  s.row_tile_keys = carve->Indices(br);
  s.key_t_rows = carve->Pointers(p.key_width);
  return s;
}

Scratch CarveScratchAt(const AttentionProblem& p, const BlockPlan& plan, unsigned char* base) {
  ScratchCarver carve(base);
  return CarveScratch(p, plan, &carve);
}

// One operand's rows [B][heads][rows][width] copied head-major into `dst` (consecutive rows), with
// the strides that address the copy.
Strides CopyHeadMajor(const float* src, const Strides& from, int64_t batch, int64_t heads, int64_t rows,
                      int64_t width, float* dst, int team) {
  const int64_t total = batch * heads * rows;
#ifdef _OPENMP
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
#endif
  for (int64_t r = 0; r < total; ++r) {
    const int64_t b = r / (heads * rows);
    const int64_t h = r / rows % heads;
    const float* s = src + b * from.batch + h * from.head + (r % rows) * from.row;
    float* d = dst + r * width;
    for (int64_t c = 0; c < width; ++c) d[c] = s[c];
  }
  (void)team;
  return Strides{heads * rows * width, rows * width, width};
}

// Calls copy(g, piece, src, rows) for every piece of `piece_rows` consecutive rows (the last
// piece of a head shorter) of every (batch, KV head) g = b·Hkv + h of K or V (`base`, `strides`),
// src = the piece's first row, in parallel over the team.
template <typename CopyPiece>
void ForEachRowPiece(const AttentionProblem& p, const float* base, const Strides& strides,
                     int64_t piece_rows, int team, const CopyPiece& copy) {
  const int64_t pieces = (p.keys + piece_rows - 1) / piece_rows;
  const int64_t total = p.batch * p.kv_heads * pieces;
#ifdef _OPENMP
#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
#endif
  for (int64_t i = 0; i < total; ++i) {
    const int64_t g = i / pieces;
    const int64_t first = i % pieces * piece_rows;
    const float* src = base + g / p.kv_heads * strides.batch + g % p.kv_heads * strides.head +
                       first * strides.row;
    copy(g, i % pieces, src, p.keys - first < piece_rows ? p.keys - first : piece_rows);
  }
  (void)team;
}

// Kᵀ of every key block, the row layout's copy (tiling.h BlockPlan::keys_t): (B·Hkv·blocks) blocks
// of dk × Bc floats, zero past the last key.
void TransposeKeyBlocks(const AttentionProblem& p, const KernelTable& table, const BlockPlan& plan,
                        float* keys_t, int team) {
  const int64_t bc = plan.key_block;
  ForEachRowPiece(p, p.key, p.key_strides, bc, team, [&](int64_t g, int64_t block, const float* src, int64_t rows) {
    table.transpose_scaled(src, p.key_strides.row, rows, bc, p.key_width, 1.0f, bc,
                           keys_t + (g * plan.key_blocks + block) * p.key_width * bc);
  });
}

// K of every (batch, KV head) as score-tile panels (tiling.h BlockPlan::keys_packed), in pieces
// of up to 32 tiles so that a single head's keys are packed by the whole team too.
void PackKeyPanels(const AttentionProblem& p, const KernelTable& table, const BlockPlan& plan,
                   float* panels, int team) {
  constexpr int64_t kTilesPerPiece = 32;
  const int64_t r = table.score_keys;
  ForEachRowPiece(p, p.key, p.key_strides, kTilesPerPiece * r, team, [&](int64_t g, int64_t piece, const float* src, int64_t rows) {
    table.pack_key_panels(src, p.key_strides.row, rows, p.key_width,
                          panels + (g * plan.key_tiles + piece * kTilesPerPiece) * p.key_width * r);
  });
}

// V of every (batch, KV head) as column panels of the P·V tile's width (tiling.h
// BlockPlan::values_packed), in pieces of 256 rows.
void PackValuePanels(const AttentionProblem& p, const KernelTable& table, const BlockPlan& plan,
                     float* panels, int team) {
  constexpr int64_t kRowsPerPiece = 256;
  const int64_t t = table.tile_columns;
  const int64_t head_floats = (p.value_width + t - 1) / t * plan.value_panel_stride;
  ForEachRowPiece(p, p.value, p.value_strides, kRowsPerPiece, team,
                  [&](int64_t g, int64_t piece, const float* src, int64_t rows) {
    table.pack_value_panels(src, p.value_strides.row, rows, p.value_width, plan.value_panel_stride,
                            panels + g * head_floats + piece * kRowsPerPiece * t);
  });
}

// Task `index` of the call. Causal calls run their tasks last first: a task's cost grows with its
// first query (it sees keys up to its diagonal), and handing out the longest ones first keeps the
// threads from waiting on one long task at the end.
Task TaskAt(const AttentionProblem& p, const BlockPlan& plan, int64_t blocks_per_stream,
            int64_t index) {
  if (p.causal) index = p.batch * p.heads * blocks_per_stream - 1 - index;
  Task t{};
  const int64_t stream = index / blocks_per_stream;
  t.batch = stream / p.heads;
  t.head = stream % p.heads;
  t.first_query = (index % blocks_per_stream) * plan.query_block;
  const int64_t left = p.queries - t.first_query;
  t.rows = left < plan.query_block ? left : plan.query_block;
  return t;
}

}  // namespace

KernelOutcome RunAttention(const AttentionProblem& problem, int threads) noexcept {
  AttentionProblem p = problem;
  if (p.kv_heads == 0) p.kv_heads = p.heads;
  // Cheap structural checks; the TypeScript and N-API layers have already validated values.
  if (!Positive(p.batch) || !Positive(p.heads) || !Positive(p.queries) || !Positive(p.keys) ||
      !Positive(p.key_width) || !Positive(p.value_width))
    return Fail(Status::kInvalidArgument, "every dimension must be at least 1");
  if (p.kv_heads < 0 || p.heads % p.kv_heads != 0)
    return Fail(Status::kInvalidArgument, "the KV head count must divide the head count");
  if (p.query == nullptr || p.key == nullptr || p.value == nullptr || p.out == nullptr)
    return Fail(Status::kInvalidArgument, "query, key, value and out must all have data");
  const int affinity = static_cast<int>(p.affinity);
  if (affinity < 0 || affinity > 3) return Fail(Status::kInvalidArgument, "unknown affinity");
  if (p.affinity == Affinity::kConcatenation &&
      (p.concat_query_weight == nullptr || p.concat_key_weight == nullptr))
    return Fail(Status::kInvalidArgument, "concatenation needs concatWeights");
  if (p.bias != nullptr && p.affinity != Affinity::kEmbeddedGaussian && p.affinity != Affinity::kGaussian)
    return Fail(Status::kInvalidArgument, "an attention bias is for the softmax affinities only");
  if (p.out_layout != OutputLayout::kRows &&
      (p.out_layout != OutputLayout::kTransposedPanels || p.batch != 1 || p.heads != 1))
    return Fail(Status::kInvalidArgument, "transposed-panel output is for one batch item and head");
  if (threads < 1) threads = 1;

  // K and V in the [B, M, H·d] layout (layout 0 with several heads) hold one head's rows H·d floats
  // apart. Every query block of a head streams that head's rows again, and from rows that far
  // apart it ran about 20% slower than from consecutive ones ([1, 8, 1024, 64]; repacking each key
  // block's rows for the microkernels did not help: the cost is in the strided stream itself).
  // So such K and V are first copied head-major, once per call: (dk + dv)·M floats per head, read
  // N / Br times afterwards. Above the scratch limit the call runs on the caller's layout.
  const bool interleaved_heads = p.kv_heads > 1 && p.key_strides.row != p.key_width;
  const int64_t head_major_floats = p.batch * p.kv_heads * p.keys * (p.key_width + p.value_width);
  const ScratchLease head_major(ArenaSlot::kHeadMajor,
                                interleaved_heads ? static_cast<size_t>(head_major_floats) * 4 : 0);
  if (interleaved_heads && head_major.data() != nullptr) {
    float* kcopy = reinterpret_cast<float*>(head_major.data());
    float* vcopy = kcopy + p.batch * p.kv_heads * p.keys * p.key_width;
    p.key_strides = CopyHeadMajor(p.key, p.key_strides, p.batch, p.kv_heads, p.keys, p.key_width, kcopy, threads);
    p.value_strides = CopyHeadMajor(p.value, p.value_strides, p.batch, p.kv_heads, p.keys, p.value_width, vcopy, threads);
    p.key = kcopy;
    p.value = vcopy;
  }

  const KernelTable* table = ActiveKernelTable();
  BlockPlan plan = PlanBlocks(p, *table, threads);
  ScratchCarver measure;
  CarveScratch(p, plan, &measure);
  const int64_t blocks_per_stream = (p.queries + plan.query_block - 1) / plan.query_block;
  const int64_t tasks = p.batch * p.heads * blocks_per_stream;
  int team = static_cast<int>(tasks < threads ? tasks : threads);
  // Tiny problems run on the calling thread: starting an OpenMP team costs a few microseconds,
  // more than a second core saves below about a million multiply-adds ([1, 64, 64]² is 2^19).
  if (p.batch * p.heads * p.queries * p.keys * (p.key_width + p.value_width) <= (int64_t{1} << 20)) team = 1;

  // K copied once into the layout its microkernel reads (tiling.h): Kᵀ blocks for the row layout,
  // score-tile panels for Sᵀ without a padding mask; the size of K either way. Past the scratch
  // limit the call reads K in place (the row layout falls back to Sᵀ on the same key blocks).
  const bool row_layout = RowLayout(p, *table);
  // Packing pays once K is read by more than one task of its head.
  const bool packed = !row_layout && p.key_mask == nullptr && p.affinity != Affinity::kConcatenation &&
                      blocks_per_stream > 1;
  const int64_t copy_floats =
      p.batch * p.kv_heads * p.key_width *
      (row_layout ? plan.key_blocks * plan.key_block : packed ? plan.key_tiles * table->score_keys : 0);
  const ScratchLease key_copy(ArenaSlot::kKeyCopy, static_cast<size_t>(copy_floats) * 4);
  if (copy_floats > 0 && key_copy.data() != nullptr) {
    float* copy = reinterpret_cast<float*>(key_copy.data());
    if (row_layout) {
      TransposeKeyBlocks(p, *table, plan, copy, team);
      plan.keys_t = copy;
    } else {
      PackKeyPanels(p, *table, plan, copy, team);
      plan.keys_packed = copy;
    }
  }

  // V as tile-wide column panels, when more than one task reads it, no padding mask thins the key
  // blocks, and its rows span more than one P·V tile or are not vector-aligned: the size of V
  // (rounded up to whole panels). Unaligned rows are the common case — a Float32Array's data is
  // often 16 bytes past a cache line in Node — and then every vector load of the P·V tile
  // straddles two lines (measured: 4–5 % of [1,1024,64]²'s time on AVX-512). Past the scratch
  // limit each task packs its own key blocks (wide V) or reads V in place.
  const int64_t value_panels = (p.value_width + table->tile_columns - 1) / table->tile_columns;
  const int64_t readers = blocks_per_stream * (p.heads / p.kv_heads);  // tasks reading one V
  const int64_t w = table->vector_width;
  const bool values_aligned = reinterpret_cast<uintptr_t>(p.value) % (w * 4) == 0 &&
                              p.value_strides.row % w == 0 && p.value_strides.head % w == 0 &&
                              p.value_strides.batch % w == 0;
  // The aligned copy of a narrow V saves a few percent of each reader's P·V: with fewer than four
  // readers ([1,64,64]² on one thread has two) the copy costs more than that.
  const bool repack_values = (p.value_width > table->tile_columns && readers > 1) ||
                             (!values_aligned && readers >= 4);
  const int64_t value_floats = p.key_mask == nullptr && repack_values
                                   ? p.batch * p.kv_heads * value_panels * p.keys * table->tile_columns
                                   : 0;
  const ScratchLease value_copy(ArenaSlot::kValueCopy, static_cast<size_t>(value_floats) * 4);
  if (value_floats > 0 && value_copy.data() != nullptr) {
    plan.value_panel_stride = p.keys * table->tile_columns;
    float* copy = reinterpret_cast<float*>(value_copy.data());
    PackValuePanels(p, *table, plan, copy, team);
    plan.values_packed = copy;
  }

  const int64_t stride = measure.bytes();  // one thread's scratch, a multiple of 64 bytes
  if (stride > static_cast<int64_t>(kMaxScratchBytes) / team)
    return Fail(Status::kOutOfMemory, "the kernel's scratch would exceed its 1 GiB limit (key/value width too large)");
  const ScratchLease lease(ArenaSlot::kAttention, static_cast<size_t>(stride * team));
  unsigned char* scratch = lease.data();
  if (scratch == nullptr)
    return Fail(Status::kOutOfMemory, "cannot allocate the kernel's scratch memory");

  // Tasks check the cancel flag as they start, and again before every key block, so an abort
  // takes effect within one query block × key block (well under a millisecond even on the scalar
  // kernel); the cancelled call's output is incomplete and reported as such.
  if (team == 1) {
    const Scratch s = CarveScratchAt(p, plan, scratch);
    NONLOCAL_PHASE_THREAD_BEGIN(0);
    for (int64_t i = 0; i < tasks && !CancelRequested(p.cancel_flag); ++i)
      table->run_task(p, plan, TaskAt(p, plan, blocks_per_stream, i), s);
    NONLOCAL_PHASE_THREAD_END();
  } else {
#ifdef _OPENMP
    // Nothing inside can throw: the kernels are plain arithmetic on preallocated memory.
#pragma omp parallel num_threads(team)
    {
      const Scratch s = CarveScratchAt(p, plan, scratch + stride * omp_get_thread_num());
      NONLOCAL_PHASE_THREAD_BEGIN(omp_get_thread_num());
#pragma omp for schedule(dynamic, 1) nowait
      for (int64_t i = 0; i < tasks; ++i)
        if (!CancelRequested(p.cancel_flag)) table->run_task(p, plan, TaskAt(p, plan, blocks_per_stream, i), s);
      NONLOCAL_PHASE_THREAD_END();
    }
#else
    const Scratch s = CarveScratchAt(p, plan, scratch);
    for (int64_t i = 0; i < tasks && !CancelRequested(p.cancel_flag); ++i)
      table->run_task(p, plan, TaskAt(p, plan, blocks_per_stream, i), s);
#endif
  }
  if (CancelRequested(p.cancel_flag)) return Fail(Status::kCancelled, "the call was cancelled");
  return Ok();
}

}  // namespace nonlocal
