// Blocking (after Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"):
//   - rows are cut into chunks, one task each; the chunk count is a multiple of the team size and
//     the chunks are equal to within one 12-row tile, so two threads finish together;
//   - the depth is streamed in passes of kDepthChunk: the chunk's A block for the pass is packed
//     as row micro-panels (kDepthChunk × rows, about 100 KB, in L2) and one column tile's B slice
//     (kDepthChunk × P floats, 64 KB for P = 64) is reused from L1/L2 while every row tile of the
//     chunk streams past it (the microkernel loops column tiles outside, row tiles inside);
//   - B comes pre-packed as column panels, so that slice is contiguous: read in place, its rows
//     would sit one matrix row apart (6 KB for θ|φ|g of a C = 1024 block) and share a few L1 sets.
#include "gemm.h"

#include <cstring>

#include "parallel.h"
#include "scratch_arena.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nonlocal {
namespace {

constexpr int64_t kRowTile = 12;       // a multiple of every table's P·V tile height (4 and 6)
constexpr int64_t kTilesPerChunk = 8;  // about 96 rows per task
// 256 deep: the column tile's B slice (64 KB) lives in L2 rather than L1, which the microkernel's
// 4 loads per 24 FMAs tolerate, and the accumulator makes half as many round trips; measured
// 3–8 % faster than 128 on two threads for the block's shapes.
constexpr int64_t kDepthChunk = 256;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// pack ← the rows × depth block A[r][j] = a[j·a_stride + r] as row micro-panels of `tile` rows
// (kernel_table.h): each microkernel call then reads its A operand as one contiguous run
// (tile × depth floats) instead of `tile` floats from each of `depth` cache lines, and the
// column tile of B it multiplies keeps L1 to itself.
void PackRowPanels(const float* a, int64_t a_stride, int64_t rows, int64_t depth, int64_t tile,
                   float* pack) {
  for (int64_t j = 0; j < depth; ++j) {
    const float* src = a + j * a_stride;
    for (int64_t r0 = 0; r0 < rows; r0 += tile) {
      float* dst = pack + r0 * depth + j * tile;
      const int64_t live = rows - r0 < tile ? rows - r0 : tile;
      for (int64_t r = 0; r < live; ++r) dst[r] = src[r0 + r];
    }
  }
}

}  // namespace

void PackColumnPanels(const float* b, int64_t b_stride, int64_t depth,
                      int64_t cols, float* panels, int threads) noexcept {
  const int64_t p = kPanelColumns;
  const int64_t count = CeilDiv(cols, p);
  ParallelFor(threads, count, [&](int64_t panel) {
    const int64_t c0 = panel * p;
    const int64_t width = cols - c0 < p ? cols - c0 : p;
    float* dst = panels + panel * depth * p;
    for (int64_t j = 0; j < depth; ++j)
      std::memcpy(dst + j * p, b + j * b_stride + c0, static_cast<size_t>(width) * sizeof(float));
  });
}

KernelOutcome Gemm(const KernelTable& table, const float* a, int64_t a_stride, int64_t rows,
                   const float* b_panels, int64_t depth, int64_t cols, const float* column_bias,
                   float* acc, int64_t acc_stride, const float** row_pointers,
                   int threads) noexcept {
  if (threads < 1) threads = 1;
  const int64_t tiles = CeilDiv(rows, kRowTile);
  const int64_t chunks = threads * CeilDiv(tiles, threads * kTilesPerChunk);
  const int64_t max_width = CeilDiv(tiles, chunks) * kRowTile;
  const int team = static_cast<int>(chunks < threads ? chunks : threads);
  const ScratchLease packs(ArenaSlot::kPack,
                           static_cast<size_t>(team) * max_width * kDepthChunk * sizeof(float));
  if (packs.data() == nullptr)
    return KernelOutcome{Status::kOutOfMemory, "cannot allocate the block's packing buffers"};
  const int64_t p = kPanelColumns;
  for (int64_t j = 0; j < depth; ++j) row_pointers[j] = b_panels + j * p;
  const int64_t panel_stride = depth * p;

  auto run_chunk = [&](int64_t chunk, float* pack) {
    const int64_t r0 = chunk * tiles / chunks * kRowTile;
    const int64_t r1 = (chunk + 1) * tiles / chunks * kRowTile;
    const int64_t r_end = r1 < rows ? r1 : rows;
    if (r0 >= r_end) return;
    const int64_t width = r_end - r0;
    // The first depth pass writes bias + its sum (no separate bias pass, no read of stale acc);
    // the others add to it.
    for (int64_t j0 = 0; j0 < depth; j0 += kDepthChunk) {
      const int64_t kc = depth - j0 < kDepthChunk ? depth - j0 : kDepthChunk;
      PackRowPanels(a + j0 * a_stride + r0, a_stride, width, kc, table.tile_rows, pack);
      table.outer_accumulate(pack, width, row_pointers + j0, panel_stride, kc, cols,
                             acc + r0 * acc_stride, acc_stride, j0 == 0, column_bias);
    }
  };
  float* const pack_base = reinterpret_cast<float*>(packs.data());
#ifdef _OPENMP
  if (team > 1) {
#pragma omp parallel num_threads(team)
    {
      float* pack = pack_base + static_cast<int64_t>(omp_get_thread_num()) * max_width * kDepthChunk;
#pragma omp for schedule(dynamic, 1)
      for (int64_t chunk = 0; chunk < chunks; ++chunk) run_chunk(chunk, pack);
    }
    return KernelOutcome{Status::kOk, nullptr};
  }
#endif
  for (int64_t chunk = 0; chunk < chunks; ++chunk) run_chunk(chunk, pack_base);
  return KernelOutcome{Status::kOk, nullptr};
}

}  // namespace nonlocal
