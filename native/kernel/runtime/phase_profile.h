// Where an attention task's time goes, phase by phase — compiled in only for the profiler
// (CMake -DNONLOCAL_PROFILE=ON defines NONLOCAL_PROFILE_PHASES; native/profile/). In every other
// build the marks are empty and the kernel is unchanged.
//
// Each thread adds the time-stamp-counter ticks between consecutive marks of RunTask into the
// phase it just finished. The TSC runs at a fixed rate (constant_tsc), not at the core clock, so
// the figures are shares of time, not core cycles; that is what "where does the 40 % go" asks.
// Data only (plus a macro): the ISA translation units include it without sharing any code.
#ifndef NONLOCAL_KERNEL_RUNTIME_PHASE_PROFILE_H_
#define NONLOCAL_KERNEL_RUNTIME_PHASE_PROFILE_H_

#include <cstdint>

namespace nonlocal {

enum ProfilePhase : int {
  kPhaseQueryPrologue,  // s·Qᵀ transposed into scratch, m and l reset
  kPhaseGather,         // the live key/value row pointers of a key block
  kPhaseScores,         // Sᵀ = K·(s·Qᵀ): the score microkernel
  kPhaseMask,           // the attention bias added to Sᵀ, the causal mask written into it
  kPhaseSoftmax,        // block max, exp, running sum, rescale factors
  kPhaseValuePack,      // the value block copied into column panels
  kPhaseValues,         // O = α·O + Pᵀᵀ·V: the value microkernel
  kPhaseStore,          // y = O / l written out
  kPhaseCount
};

// The block's stages (block.cc), timed on the calling thread around each parallel step.
enum BlockStage : int {
  kStageProjections,  // θ|φ|g = x·W + b (GEMM), and the channel pooling of x where it applies
  kStageKeysValues,   // φ|g pooled, or projected from pooled x (GEMM), or taken as they are
  kStageTranspose,    // gaussian: x and pooled x positions-major
  kStageAttention,    // the fused operator (its phases above)
  kStageOutput,       // out = x + b_z + W_z·y (GEMM)
  kStageCount
};

// One thread's totals; `finish` is the TSC when it left the parallel loop (thread imbalance).
struct PhaseTotals {
  uint64_t ticks[kPhaseCount];
  uint64_t tasks;
  uint64_t start;
  uint64_t finish;
};

}  // namespace nonlocal

#if defined(NONLOCAL_PROFILE_PHASES) && (defined(__x86_64__) || defined(_M_X64))
#include <x86intrin.h>

namespace nonlocal {
// The calling thread's totals (set by RunAttention for each thread of the team; null = not counted).
extern thread_local PhaseTotals* g_phase_totals;
constexpr int kProfiledThreads = 64;
extern PhaseTotals g_phase_profile[kProfiledThreads];
extern uint64_t g_stage_ticks[kStageCount];
}  // namespace nonlocal

#define NONLOCAL_PHASE_START() uint64_t nonlocal_phase_mark = __rdtsc()
#define NONLOCAL_PHASE_MARK(phase)                                               \
  do {                                                                           \
    const uint64_t nonlocal_phase_now = __rdtsc();                               \
    if (::nonlocal::g_phase_totals != nullptr)                                   \
      ::nonlocal::g_phase_totals->ticks[phase] += nonlocal_phase_now - nonlocal_phase_mark; \
    nonlocal_phase_mark = nonlocal_phase_now;                                    \
  } while (0)
#define NONLOCAL_PHASE_THREAD_BEGIN(index)                                       \
  do {                                                                           \
    ::nonlocal::g_phase_totals = &::nonlocal::g_phase_profile[(index) % ::nonlocal::kProfiledThreads]; \
    if (::nonlocal::g_phase_totals->start == 0) ::nonlocal::g_phase_totals->start = __rdtsc(); \
  } while (0)
#define NONLOCAL_PHASE_THREAD_END()                                              \
  do {                                                                           \
    if (::nonlocal::g_phase_totals != nullptr) ::nonlocal::g_phase_totals->finish = __rdtsc(); \
    ::nonlocal::g_phase_totals = nullptr;                                        \
  } while (0)
#define NONLOCAL_PHASE_TASK() \
  do { if (::nonlocal::g_phase_totals != nullptr) ++::nonlocal::g_phase_totals->tasks; } while (0)
#define NONLOCAL_STAGE_MARK(stage)                                               \
  do {                                                                           \
    const uint64_t nonlocal_phase_now = __rdtsc();                               \
    ::nonlocal::g_stage_ticks[stage] += nonlocal_phase_now - nonlocal_phase_mark; \
    nonlocal_phase_mark = nonlocal_phase_now;                                    \
  } while (0)
#else
#define NONLOCAL_PHASE_START() static_cast<void>(0)
#define NONLOCAL_PHASE_MARK(phase) static_cast<void>(0)
#define NONLOCAL_PHASE_THREAD_BEGIN(index) static_cast<void>(0)
#define NONLOCAL_PHASE_THREAD_END() static_cast<void>(0)
#define NONLOCAL_PHASE_TASK() static_cast<void>(0)
#define NONLOCAL_STAGE_MARK(stage) static_cast<void>(0)
#endif

#endif  // NONLOCAL_KERNEL_RUNTIME_PHASE_PROFILE_H_
