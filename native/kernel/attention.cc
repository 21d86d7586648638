// The driver: checks the problem, plans the blocks, allocates per-thread scratch once, and hands
// (batch, head, query block) tasks to the ISA table — in parallel with OpenMP when it is built in.
//
// Each task is computed start to finish by one thread with the same code, and the block plan's
// key block (the only size that changes rounding) never depends on the thread count, so the
// result is bitwise identical for every thread count.
#include "attention.h"

#include <cstdint>
#include <cstdlib>

#include "cancel.h"
#include "dispatch.h"
#include "kernel_table.h"
#include "scratch_arena.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nonlocal {
namespace {

constexpr int64_t kAlignFloats = 16;  // 64 bytes: a cache line, and one zmm
constexpr int64_t kMaxScoreKeys = 16;  // ≥ every table's Sᵀ tile height (key-list padding)

int64_t RoundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

bool Positive(int64_t x) { return x > 0; }

// The plan: Br queries per task (shrunk when there are too few tasks to feed every thread — Br
// does not change any rounding), Bc keys per block (fixed by the widths alone).
BlockPlan PlanBlocks(const AttentionProblem& p, const KernelTable& table, int threads) {
  const int64_t tile = table.query_tile;
  BlockPlan plan{};
  const int64_t streams = p.batch * p.heads;
  // Every task streams all of K and V (M·(dk + dv) floats, 14 MB at M = 3400, d = 512) past its
  // query block, so larger query blocks cut that traffic per FLOP when at least four tasks per
  // thread remain to balance: wide heads take 128 queries (measured 5–10 % faster at d = 512;
  // 256 would push their Qᵀ and O blocks out of L2), narrow ones (dk + dv ≤ 128, the widths
  // measured) whose K and V outgrow L2 take 256 ([1, 16384, 64]²: one thread 500 → 465 ms, two
  // 237 → 228 ms).
  const auto enough_tasks = [&](int64_t block) {
    return streams * ((p.queries + block - 1) / block) >= 4 * int64_t{threads};
  };
  const bool wide = p.key_width + p.value_width >= 512;
  const bool kv_beyond_l2 = p.keys * (p.key_width + p.value_width) * 4 > (int64_t{1} << 20);
  int64_t target = 64;
  if (wide && enough_tasks(128)) target = 128;
  if (p.key_width + p.value_width <= 128 && kv_beyond_l2 && enough_tasks(256)) target = 256;
  plan.query_block = RoundUp(p.queries < target ? p.queries : target, tile);
  while (plan.query_block > tile &&
         streams * ((p.queries + plan.query_block - 1) / plan.query_block) < 2 * int64_t{threads})
    plan.query_block -= tile;
  // About 128 keys (64 for wide values, so a column tile of the V block stays in L1), rounded
  // down to whole Sᵀ tiles: a 64-key block on 12-key tiles would compute 8 padding rows (12 %).
  const int64_t key_target = p.value_width <= 128 ? 128 : 64;
  plan.key_block = key_target / table.score_keys * table.score_keys;
  plan.value_stride = RoundUp(p.value_width, kAlignFloats);
  return plan;
}

struct ScratchLayout {
  int64_t query_t, scores_t, acc, per_query, key_dot, pointers, value_pack;  // element counts
  int64_t bytes;                                                  // one thread, aligned parts
};

ScratchLayout LayoutScratch(const AttentionProblem& p, const BlockPlan& plan) {
  const int64_t br = plan.query_block;
  const int64_t bc = plan.key_block + kMaxScoreKeys;
  ScratchLayout l{};
  l.query_t = RoundUp(p.key_width * br, kAlignFloats);
  l.scores_t = RoundUp(bc * br, kAlignFloats);
  l.acc = RoundUp(br * plan.value_stride, kAlignFloats);
  l.per_query = RoundUp(br, kAlignFloats);
  l.key_dot = RoundUp(bc, kAlignFloats);
  l.pointers = RoundUp(bc, 8);
  // Column panels of the value block (used when dv spans more than one microkernel tile).
  l.value_pack = plan.key_block * RoundUp(p.value_width, kPanelColumns);
  l.bytes = 4 * (l.query_t + l.scores_t + l.acc + 4 * l.per_query + l.key_dot + l.value_pack) +
            2 * l.pointers * static_cast<int64_t>(sizeof(const float*));
  return l;
}

Scratch CarveScratch(const ScratchLayout& l, unsigned char* base) {
  Scratch s{};
  float* f = reinterpret_cast<float*>(base);
  s.query_t = f;
  f += l.query_t;
  s.scores_t = f;
  f += l.scores_t;
  s.acc = f;
  f += l.acc;
  s.row_max = f;
  f += l.per_query;
  s.row_sum = f;
  f += l.per_query;
  s.rescale = f;
  f += l.per_query;
  s.query_dot = f;
  f += l.per_query;
  s.key_dot = f;
  f += l.key_dot;
  s.value_pack = f;
  f += l.value_pack;
  const float** ptrs = reinterpret_cast<const float**>(f);
  s.key_rows = ptrs;
  s.value_rows = ptrs + l.pointers;
  return s;
}

Task TaskAt(const AttentionProblem& p, const BlockPlan& plan, int64_t blocks_per_stream,
            int64_t index) {
  Task t{};
  const int64_t stream = index / blocks_per_stream;
  t.batch = stream / p.heads;
  t.head = stream % p.heads;
  t.first_query = (index % blocks_per_stream) * plan.query_block;
  const int64_t left = p.queries - t.first_query;
  t.rows = left < plan.query_block ? left : plan.query_block;
  return t;
}

KernelOutcome Fail(Status status, const char* message) { return KernelOutcome{status, message}; }

}  // namespace

KernelOutcome RunAttention(const AttentionProblem& p, int threads) noexcept {
  // Cheap structural checks; the TypeScript and N-API layers have already validated values.
  if (!Positive(p.batch) || !Positive(p.heads) || !Positive(p.queries) || !Positive(p.keys) ||
      !Positive(p.key_width) || !Positive(p.value_width))
    return Fail(Status::kInvalidArgument, "every dimension must be at least 1");
  if (p.query == nullptr || p.key == nullptr || p.value == nullptr || p.out == nullptr)
    return Fail(Status::kInvalidArgument, "query, key, value and out must all have data");
  const int affinity = static_cast<int>(p.affinity);
  if (affinity < 0 || affinity > 3) return Fail(Status::kInvalidArgument, "unknown affinity");
  if (p.affinity == Affinity::kConcatenation &&
      (p.concat_query_weight == nullptr || p.concat_key_weight == nullptr))
    return Fail(Status::kInvalidArgument, "concatenation needs concatWeights");
  if (p.out_layout != OutputLayout::kRows &&
      (p.out_layout != OutputLayout::kTransposedPanels || p.batch != 1 || p.heads != 1))
    return Fail(Status::kInvalidArgument, "transposed-panel output is for one batch item and head");
  if (threads < 1) threads = 1;

  const KernelTable* table = ActiveKernelTable();
  const BlockPlan plan = PlanBlocks(p, *table, threads);
  const ScratchLayout layout = LayoutScratch(p, plan);
  const int64_t blocks_per_stream = (p.queries + plan.query_block - 1) / plan.query_block;
  const int64_t tasks = p.batch * p.heads * blocks_per_stream;
  int team = static_cast<int>(tasks < threads ? tasks : threads);
  // Tiny problems run on the calling thread: starting an OpenMP team costs a few microseconds,
  // more than a second core saves below about a million multiply-adds ([1, 64, 64]² is 2^19).
  if (p.batch * p.heads * p.queries * p.keys * (p.key_width + p.value_width) <= (int64_t{1} << 20)) team = 1;

  const int64_t stride = RoundUp(layout.bytes, 64);
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
    const Scratch s = CarveScratch(layout, scratch);
    for (int64_t i = 0; i < tasks && !CancelRequested(p.cancel_flag); ++i)
      table->run_task(p, plan, TaskAt(p, plan, blocks_per_stream, i), s);
  } else {
#ifdef _OPENMP
    // Nothing inside can throw: the kernels are plain arithmetic on preallocated memory.
#pragma omp parallel num_threads(team)
    {
      const Scratch s = CarveScratch(layout, scratch + stride * omp_get_thread_num());
#pragma omp for schedule(dynamic, 1)
      for (int64_t i = 0; i < tasks; ++i)
        if (!CancelRequested(p.cancel_flag)) table->run_task(p, plan, TaskAt(p, plan, blocks_per_stream, i), s);
    }
#else
    const Scratch s = CarveScratch(layout, scratch);
    for (int64_t i = 0; i < tasks && !CancelRequested(p.cancel_flag); ++i)
      table->run_task(p, plan, TaskAt(p, plan, blocks_per_stream, i), s);
#endif
  }
  if (CancelRequested(p.cancel_flag)) return Fail(Status::kCancelled, "the call was cancelled");
  return KernelOutcome{Status::kOk, nullptr};
}

}  // namespace nonlocal
