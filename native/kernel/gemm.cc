// Blocking (after Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"):
//   - the depth is taken in one pass when it is at most kMaxDepthPass (every block this package
//     runs: C and Ci ≤ 1024). Rows are then cut into chunks as large as kMaxPackBytes of packed A
//     allows — about one per thread — and a chunk's column tiles are shared out (ChunkWork), so
//     each column tile's B slice streams from L3 once per chunk while the threads still finish
//     together. Deeper GEMMs take 1024-deep passes over 96-row chunks dealt whole;
//   - a chunk's A block is packed as row micro-panels, and one column tile's B slice (depth × P
//     floats, ≤ 256 KB for P = 64) is reused from L2 while every row tile of the chunk streams past
//     it (the microkernel loops column tiles outside, row tiles inside);
//   - B comes pre-packed as column panels, so that slice is contiguous: read in place, its rows
//     would sit one matrix row apart (6 KB for θ|φ|g of a C = 1024 block) and share a few L1 sets.
//     Where the microkernel's column tile is narrower than a panel (AVX2: 16 of P = 64 columns),
//     the panel is split once more per call into one panel per column tile (SplitPanel): read in
//     place, a tile's slice would be 64 bytes of every 256, a quarter of L1's sets, evicted by the
//     streaming A micro-panels before the next row tile reuses it (measured: docs/performance.md).
#include "gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>

#include "runtime/common.h"
#include "runtime/scratch_arena.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace nonlocal {
namespace {

constexpr int64_t kRowTile = 12;       // a multiple of every table's P·V tile height (4 and 6)
constexpr int64_t kTilesPerChunk = 8;  // about 96 rows per task (GEMMs deeper than one pass)
// Each extra depth pass makes every accumulator tile a round trip through L3 (the chunk's rows of
// the output do not stay in L2 while B streams past), so the whole depth is taken in one pass up to
// 1024 — every channel count the block supports — at the price of a larger packed A block.
constexpr int64_t kMaxDepthPass = 1024;
// A one-pass chunk's packed A block is at most this (504 rows at depth 1024): larger chunks mean
// fewer B streams, but the block must still come back from L3 quickly for every column tile. A
// constant, not a multiple of the L2 read at load: it was the best budget on cores with 1 MiB and
// with 2 MiB of L2 alike (docs/performance.md), so it follows L3 bandwidth more than L2 size.
constexpr int64_t kMaxPackBytes = int64_t{2} << 20;

// pack ← the rows × depth block A[r][j] = a[j·a_stride + r] as row micro-panels of `tile` rows
// (kernel_table.h): each microkernel call then reads its A operand as one contiguous run
// (tile × depth floats) instead of `tile` floats from each of `depth` cache lines, and the
// column tile of B it multiplies keeps L1 to itself.
// One micro-panel at a time, its `tile` floats per depth row as one fixed-size copy: the panel's
// destination is a single write stream and the tile × 4 bytes move in one or two vector moves,
// where a depth-row-by-depth-row copy into every panel needs a variable-length loop per row.
constexpr int64_t kPrefetchAhead = 32;  // depth rows

// Inlined into PackRowPanels with `tile` a constant, so the copy is a fixed-size one.
__attribute__((always_inline)) inline void PackRowPanelsOf(const float* a, int64_t a_stride,
                                                           int64_t rows, int64_t depth,
                                                           int64_t tile, float* pack) {
  const int64_t full = rows / tile * tile;
  for (int64_t r0 = 0; r0 < full; r0 += tile) {
    float* dst = pack + r0 * depth;
    const float* src = a + r0;
    // Each depth row of A is a different cache line (and often a different page, where the
    // hardware prefetchers stop), so ask for the line the micro-panels two or three along will
    // read (16 rows on), kPrefetchAhead depth rows ahead: its miss then overlaps these copies.
    const int64_t prefetch_end = r0 + 16 < rows ? depth - kPrefetchAhead : 0;
    for (int64_t j = 0; j < depth; ++j) {
      if (j < prefetch_end) __builtin_prefetch(src + (j + kPrefetchAhead) * a_stride + 16, 0, 3);
      std::memcpy(dst + j * tile, src + j * a_stride, static_cast<size_t>(tile) * sizeof(float));
    }
  }
  if (full == rows) return;
  // Partial last panel: only its live rows are copied (the microkernel reads no further).
  float* dst = pack + full * depth;
  const int64_t live = rows - full;
  for (int64_t j = 0; j < depth; ++j)
    for (int64_t r = 0; r < live; ++r) dst[j * tile + r] = a[j * a_stride + full + r];
}

void PackRowPanels(const float* a, int64_t a_stride, int64_t rows, int64_t depth, int64_t tile,
                   float* pack) {
  switch (tile) {  // the tables' tile heights (kernel_table.h)
    case 6: return PackRowPanelsOf(a, a_stride, rows, depth, 6, pack);
    case 4: return PackRowPanelsOf(a, a_stride, rows, depth, 4, pack);
    default: return PackRowPanelsOf(a, a_stride, rows, depth, tile, pack);
  }
}

// Chunks [0, count) dealt to the team as contiguous ranges: a thread works through its own range
// front to back, then takes chunks from the back of the others'. Each core then streams one
// contiguous block of A rows, so its prefetchers stay on one pattern (handing out chunks one at a
// time would interleave the cores' rows), while a core that runs slower or is descheduled still
// gets its work taken.
// Each range is one atomic word, front << 32 | back; claims are compare-and-swap.
class ChunkRanges {
 public:
  static constexpr int kMaxTeam = kMaxThreads;  // the most threads a call may ask for (types.h)
  ChunkRanges(int64_t count, int team) : team_(team < kMaxTeam ? team : kMaxTeam) {
    for (int t = 0; t < team_; ++t) {
      const uint64_t front = static_cast<uint64_t>(count * t / team_);
      const uint64_t back = static_cast<uint64_t>(count * (t + 1) / team_);
      ranges_[t].store(front << 32 | back, std::memory_order_relaxed);
    }
  }
  bool Next(int thread, int64_t* chunk) {
    if (Take(thread, true, chunk)) return true;
    for (int k = 1; k < team_; ++k)
      if (Take((thread + k) % team_, false, chunk)) return true;
    return false;
  }

 private:
  bool Take(int t, bool own, int64_t* chunk) {
    uint64_t word = ranges_[t].load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t front = word >> 32;
      const uint64_t back = word & 0xffffffffu;
      if (front >= back) return false;
      const uint64_t next = own ? (front + 1) << 32 | back : front << 32 | (back - 1);
      if (ranges_[t].compare_exchange_weak(word, next, std::memory_order_relaxed)) {
        *chunk = static_cast<int64_t>(own ? front : back - 1);
        return true;
      }
    }
  }
  int team_;
  std::atomic<uint64_t> ranges_[kMaxTeam];
};

// One chunk's column tiles, shared out once its A block is packed. Each column tile of B is then
// streamed from L3 once per chunk, so with about one chunk per thread the whole of B (6 MB of θ|φ|g
// weights for a C = 1024 block) streams once per thread per call instead of once per 96 rows.
// What keeps two threads finishing together is the column tiles: the owner takes them from the
// front; a thread with no chunk left takes them from the back and reads the owner's pack, which
// stays valid because the owner waits for every tile of its chunk before packing the next.
class ChunkWork {
 public:
  const float* pack = nullptr;  // written before Open, read by helpers after IsOpen
  int64_t r0 = 0;
  int64_t width = 0;

  void Open(int64_t column_tiles) {
    tiles_.store(static_cast<uint64_t>(column_tiles), std::memory_order_relaxed);  // front 0
    finished_.store(0, std::memory_order_relaxed);
    open_.store(true, std::memory_order_release);
  }
  bool IsOpen() const { return open_.load(std::memory_order_acquire); }
  bool Take(bool front, int64_t* tile) {
    uint64_t word = tiles_.load(std::memory_order_relaxed);
    for (;;) {
      const uint64_t first = word >> 32;
      const uint64_t end = word & 0xffffffffu;
      if (first >= end) return false;
      const uint64_t next = front ? (first + 1) << 32 | end : first << 32 | (end - 1);
      if (tiles_.compare_exchange_weak(word, next, std::memory_order_acq_rel)) {
        *tile = static_cast<int64_t>(front ? first : end - 1);
        return true;
      }
    }
  }
  void Finish() { finished_.fetch_add(1, std::memory_order_release); }
  void AwaitAndClose(int64_t column_tiles) {
    while (finished_.load(std::memory_order_acquire) < column_tiles) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#elif defined(__aarch64__)
      __asm__ volatile("yield");
#endif
    }
    open_.store(false, std::memory_order_relaxed);
  }

 private:
  std::atomic<uint64_t> tiles_{0};  // front << 32 | end
  std::atomic<int64_t> finished_{0};
  std::atomic<bool> open_{false};
};

// One thread's copy of a B column panel split into panels one column tile wide, and the row
// pointers into it (outer_accumulate's b_rows).
struct SplitPanel {
  float* data;         // ⌈P / tile⌉ panels of depth × tile floats
  const float** rows;  // rows[j] = data + j·tile
};

// split ← rows [0, depth) of the P-wide panel `panel` (row stride P) as ⌈live / tile⌉ panels of
// `tile` columns, each depth × tile floats; the columns past `live` in the last one are the
// panel's own padding (ColumnPanelFloats allocates whole panels), copied but never used.
void Split(const float* panel, int64_t depth, int64_t live, int64_t tile, const SplitPanel& split) {
  const int64_t p = kPanelColumns;
  for (int64_t c0 = 0; c0 < live; c0 += tile) {
    float* dst = split.data + c0 / tile * depth * tile;
    for (int64_t j = 0; j < depth; ++j)
      std::memcpy(dst + j * tile, panel + j * p + c0, static_cast<size_t>(tile) * sizeof(float));
  }
  for (int64_t j = 0; j < depth; ++j) split.rows[j] = split.data + j * tile;
}

}  // namespace

KernelOutcome Gemm(const KernelTable& table, const float* a, int64_t a_stride, int64_t rows,
                   const float* b_panels, int64_t depth, int64_t cols, const GemmInit& init,
                   float* acc, int64_t acc_stride, const float** row_pointers,
                   int threads) noexcept {
  if (threads < 1) threads = 1;
  const int64_t tiles = CeilDiv(rows, kRowTile);
  const int64_t depth_pass = depth < kMaxDepthPass ? depth : kMaxDepthPass;
  const bool one_pass = depth <= kMaxDepthPass;
  // One pass: chunks as large as the packing budget allows, about one per thread for the block's
  // shapes (see ChunkWork); several passes: kTilesPerChunk-tile chunks, dealt whole.
  const int64_t budget_tiles = kMaxPackBytes / (depth_pass * int64_t{sizeof(float)} * kRowTile);
  const int64_t tiles_per_chunk =
      one_pass ? std::max<int64_t>(1, std::min(CeilDiv(tiles, threads), budget_tiles)) : kTilesPerChunk;
  const int64_t chunks = threads * CeilDiv(tiles, threads * tiles_per_chunk);
  const int64_t max_width = CeilDiv(tiles, chunks) * kRowTile;
  const int team = static_cast<int>(chunks < threads ? chunks : threads);
  const size_t pack_bytes = static_cast<size_t>(max_width) * depth_pass * sizeof(float);
  const int64_t p = kPanelColumns;
  // Each thread's lease: its packed A block, then (narrow column tiles) one split B panel and its
  // row pointers, both 64-byte aligned.
  const bool split = table.tile_columns < p;
  const size_t split_offset = RoundUp(static_cast<int64_t>(pack_bytes), 64);
  const size_t lease_bytes =
      split ? split_offset + static_cast<size_t>(depth_pass * p) * sizeof(float) +
                  static_cast<size_t>(depth_pass) * sizeof(const float*)
            : pack_bytes;
  const auto split_in = [&](unsigned char* lease) {
    float* data = reinterpret_cast<float*>(lease + split_offset);
    return SplitPanel{data, reinterpret_cast<const float**>(data + depth_pass * p)};
  };
  for (int64_t j = 0; j < depth; ++j) row_pointers[j] = b_panels + j * p;
  const int64_t panel_stride = depth * p;
  const int64_t column_tiles = CeilDiv(cols, p);

  auto chunk_rows = [&](int64_t chunk, int64_t* r0, int64_t* width) {
    *r0 = chunk * tiles / chunks * kRowTile;
    const int64_t r1 = std::min(rows, (chunk + 1) * tiles / chunks * kRowTile);
    *width = r1 - *r0;
  };
  // The first depth pass writes its sum plus the GemmInit terms (no separate pass for them, no
  // read of stale acc); the others add to it.
  auto chunk_init = [&](int64_t r0) {
    GemmInit c = init;
    if (init.row_bias != nullptr) c.row_bias = init.row_bias + r0;
    if (init.residual != nullptr) c.residual = init.residual + r0 * init.residual_stride;
    return c;
  };
  // Columns [64·t, 64·t + 64) of rows [r0, r0 + width), depth rows [j0, j0 + kc), whose A block
  // is packed in `pack`; `init` null: added to acc. Narrow column tiles read a split copy of the
  // panel (its columns then count from 0, so the output and the column terms are offset here).
  auto column_tile = [&](const float* pack, int64_t r0, int64_t width, int64_t t, int64_t j0,
                         int64_t kc, const GemmInit* init_or_null, const SplitPanel* s) {
    const int64_t c_end = std::min(cols, (t + 1) * p);
    if (s == nullptr) {
      table.outer_accumulate(pack, width, row_pointers + j0, panel_stride, kc, t * p, c_end,
                             acc + r0 * acc_stride, acc_stride, init_or_null, p);
      return;
    }
    Split(b_panels + t * panel_stride + j0 * p, kc, c_end - t * p, table.tile_columns, *s);
    GemmInit shifted{};
    if (init_or_null != nullptr) {
      shifted = *init_or_null;
      if (shifted.column_bias != nullptr) shifted.column_bias += t * p;
      if (shifted.residual != nullptr) shifted.residual += t * p;
    }
    table.outer_accumulate(pack, width, s->rows, kc * table.tile_columns, kc, 0, c_end - t * p,
                           acc + r0 * acc_stride + t * p, acc_stride,
                           init_or_null == nullptr ? nullptr : &shifted, table.tile_columns);
  };
  // Columns [64·t, 64·t + 64) of a one-pass chunk.
  auto run_column_tile = [&](const float* pack, int64_t r0, int64_t width, int64_t t,
                             const SplitPanel* s) {
    const GemmInit c = chunk_init(r0);
    column_tile(pack, r0, width, t, 0, depth, &c, s);
  };
  auto run_chunk = [&](int64_t chunk, float* pack, const SplitPanel* s) {
    int64_t r0 = 0, width = 0;
    chunk_rows(chunk, &r0, &width);
    if (width <= 0) return;
    const GemmInit c = chunk_init(r0);
    for (int64_t j0 = 0; j0 < depth; j0 += depth_pass) {
      const int64_t kc = depth - j0 < depth_pass ? depth - j0 : depth_pass;
      PackRowPanels(a + j0 * a_stride + r0, a_stride, width, kc, table.tile_rows, pack);
      if (s == nullptr) {
        table.outer_accumulate(pack, width, row_pointers + j0, panel_stride, kc, 0, cols,
                               acc + r0 * acc_stride, acc_stride, j0 == 0 ? &c : nullptr, p);
      } else {
        for (int64_t t = 0; t < column_tiles; ++t)
          column_tile(pack, r0, width, t, j0, kc, j0 == 0 ? &c : nullptr, s);
      }
    }
  };
#ifdef _OPENMP
  if (team > 1) {
    // Each thread packs into its own arena lease rather than a slice of one shared buffer (faster
    // when measured: docs/performance.md). A thread that cannot get one takes no chunks (it may still
    // help with others' column tiles); only if no thread got one is the call out of memory.
    ChunkRanges ranges(chunks, team);
    ChunkWork* const work = one_pass ? new (std::nothrow) ChunkWork[chunks] : nullptr;
    if (one_pass && work == nullptr)
      return Fail(Status::kOutOfMemory, "cannot allocate the block's packing buffers");
    std::atomic<int64_t> done{0};
#pragma omp parallel num_threads(team)
    {
      const ScratchLease mine(ArenaSlot::kPack, lease_bytes);
      const SplitPanel s = mine.data() != nullptr ? split_in(mine.data()) : SplitPanel{nullptr, nullptr};
      const SplitPanel* const my_split = split && mine.data() != nullptr ? &s : nullptr;
      const int thread = omp_get_thread_num();
      int64_t chunk = 0;
      while (mine.data() != nullptr && ranges.Next(thread, &chunk)) {
        float* pack = reinterpret_cast<float*>(mine.data());
        if (!one_pass) {
          run_chunk(chunk, pack, my_split);
        } else {
          ChunkWork& w = work[chunk];
          chunk_rows(chunk, &w.r0, &w.width);
          if (w.width > 0) {
            PackRowPanels(a + w.r0, a_stride, w.width, depth, table.tile_rows, pack);
            w.pack = pack;
            w.Open(column_tiles);
            int64_t t = 0;
            while (w.Take(true, &t)) {
              run_column_tile(pack, w.r0, w.width, t, my_split);
              w.Finish();
            }
            w.AwaitAndClose(column_tiles);  // the pack is reused for this thread's next chunk
          }
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
      // No chunk left to start: take column tiles from the back of chunks still running.
      // (A thread without its lease cannot split a panel, so it helps only where none is needed.)
      for (bool found = one_pass && (!split || my_split != nullptr); found;) {
        found = false;
        for (int64_t c = 0; c < chunks && !found; ++c) {
          int64_t t = 0;
          if (work[c].IsOpen() && work[c].Take(false, &t)) {
            run_column_tile(work[c].pack, work[c].r0, work[c].width, t, my_split);
            work[c].Finish();
            found = true;
          }
        }
      }
    }
    delete[] work;
    if (done.load() < chunks)
      return Fail(Status::kOutOfMemory, "cannot allocate the block's packing buffers");
    return Ok();
  }
#endif
#ifndef _OPENMP
  (void)team;  // only the parallel path shares chunks and column tiles
  (void)run_column_tile;
#endif
  const ScratchLease pack(ArenaSlot::kPack, lease_bytes);
  if (pack.data() == nullptr)
    return Fail(Status::kOutOfMemory, "cannot allocate the block's packing buffers");
  const SplitPanel s = split_in(pack.data());
  for (int64_t chunk = 0; chunk < chunks; ++chunk)
    run_chunk(chunk, reinterpret_cast<float*>(pack.data()), split ? &s : nullptr);
  return Ok();
}

}  // namespace nonlocal
