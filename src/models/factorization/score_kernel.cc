#include "models/factorization/score_kernel.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SEGUE_X86 1
#endif

namespace segue {
namespace {

constexpr std::int32_t kLanes = PackedItems::kPanelItems;
constexpr std::int32_t kRows = 6;  // user rows per micro-tile: 6 × 16 accumulators fill 12 of 16 AVX registers

// A micro-kernel computes the R × 16 tile A[0..R) · panelᵀ into `tile`
// (row-major, 16 floats per row). `a` is row-major with `factors` columns;
// the panel is factor-major (16 floats per factor).
using MicroKernel = void (*)(const float* a, std::int32_t factors, const float* panel, float* tile);

template <int R>
void micro_portable(const float* a, std::int32_t factors, const float* panel, float* tile) {
  float acc[R][kLanes] = {};
  for (std::int32_t k = 0; k < factors; ++k) {
    const float* b = panel + static_cast<std::ptrdiff_t>(k) * kLanes;
    for (int r = 0; r < R; ++r) {
      const float x = a[static_cast<std::ptrdiff_t>(r) * factors + k];
      for (int j = 0; j < kLanes; ++j) acc[r][j] += x * b[j];
    }
  }
  std::memcpy(tile, acc, sizeof(acc));
}

#if SEGUE_X86
// The same product with 256-bit FMA: per factor, two loads of the panel and R
// broadcasts feed 2·R independent FMAs, all accumulators held in registers.
// Compiled for AVX+FMA only here (target attribute), called only when the CPU
// has them, so the rest of the binary stays baseline x86-64.
template <int R>
__attribute__((target("avx,fma"))) void micro_avx_fma(const float* a, std::int32_t factors, const float* panel,
                                                       float* tile) {
  __m256 lo[R];
  __m256 hi[R];
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm256_setzero_ps();
  for (std::int32_t k = 0; k < factors; ++k) {
    const __m256 b0 = _mm256_loadu_ps(panel + static_cast<std::ptrdiff_t>(k) * kLanes);
    const __m256 b1 = _mm256_loadu_ps(panel + static_cast<std::ptrdiff_t>(k) * kLanes + 8);
#pragma GCC unroll 6
    for (int r = 0; r < R; ++r) {
      const __m256 x = _mm256_broadcast_ss(a + static_cast<std::ptrdiff_t>(r) * factors + k);
      lo[r] = _mm256_fmadd_ps(x, b0, lo[r]);
      hi[r] = _mm256_fmadd_ps(x, b1, hi[r]);
    }
  }
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(tile + r * kLanes, lo[r]);
    _mm256_storeu_ps(tile + r * kLanes + 8, hi[r]);
  }
}

bool cpu_has_avx_fma() {
  static const bool has = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
  return has;
}
#else
bool cpu_has_avx_fma() { return false; }
#endif

std::atomic<bool> portable_forced{false};

bool use_avx_fma() { return !portable_forced.load(std::memory_order_relaxed) && cpu_has_avx_fma(); }

// Kernels by row count (index R, 1..6), so a lone user costs one row, not six.
struct Kernels {
  MicroKernel by_rows[kRows + 1];
};

Kernels select_kernels() {
#if SEGUE_X86
  if (use_avx_fma())
    return {{nullptr, micro_avx_fma<1>, micro_avx_fma<2>, micro_avx_fma<3>, micro_avx_fma<4>, micro_avx_fma<5>,
             micro_avx_fma<6>}};
#endif
  return {{nullptr, micro_portable<1>, micro_portable<2>, micro_portable<3>, micro_portable<4>, micro_portable<5>,
           micro_portable<6>}};
}

// Bit j set when s[j] > threshold, j < 16 (NaN compares false).
inline unsigned lanes_above(const float* s, float threshold) {
#if defined(__SSE2__)
  const __m128 t = _mm_set1_ps(threshold);
  return static_cast<unsigned>(_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(s), t))) |
         static_cast<unsigned>(_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(s + 4), t))) << 4 |
         static_cast<unsigned>(_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(s + 8), t))) << 8 |
         static_cast<unsigned>(_mm_movemask_ps(_mm_cmpgt_ps(_mm_loadu_ps(s + 12), t))) << 12;
#else
  unsigned mask = 0;
  for (int j = 0; j < kLanes; ++j) mask |= static_cast<unsigned>(s[j] > threshold) << j;
  return mask;
#endif
}

}  // namespace

PackedItems pack_items(const float* v, std::int32_t n_items, std::int32_t factors) {
  PackedItems packed;
  packed.n_items = n_items;
  packed.factors = factors;
  const auto f = static_cast<std::size_t>(factors);
  packed.data.assign(static_cast<std::size_t>(packed.n_panels()) * f * kLanes, 0.0f);
  for (std::int32_t i = 0; i < n_items; ++i) {
    float* panel = packed.data.data() + static_cast<std::size_t>(i / kLanes) * f * kLanes;
    const float* row = v + static_cast<std::size_t>(i) * f;
    for (std::size_t k = 0; k < f; ++k) panel[k * kLanes + static_cast<std::size_t>(i % kLanes)] = row[k];
  }
  return packed;
}

void score_rows(const PackedItems& items, const float* a, std::int32_t rows, float* out, std::int64_t ld_out) {
  if (rows <= 0 || items.n_items == 0) return;
  const Kernels kernels = select_kernels();
  const std::int32_t f = items.factors;
  alignas(64) float tile[kRows * kLanes];
  for (std::int32_t p = 0; p < items.n_panels(); ++p) {
    const float* panel = items.data.data() + static_cast<std::size_t>(p) * f * kLanes;
    const std::int32_t first = p * kLanes;
    const std::int32_t valid = std::min(kLanes, items.n_items - first);
    for (std::int32_t g = 0; g < rows; g += kRows) {
      const std::int32_t group = std::min(kRows, rows - g);
      kernels.by_rows[group](a + static_cast<std::ptrdiff_t>(g) * f, f, panel, tile);
      for (std::int32_t r = 0; r < group; ++r)
        std::copy_n(tile + r * kLanes, valid, out + static_cast<std::int64_t>(g + r) * ld_out + first);
    }
  }
}

void top_k_rows_fused(const PackedItems& items, const float* a, std::int32_t rows,
                      std::span<const std::span<const std::int32_t>> exclude, std::int32_t k, ScoredItem* out,
                      std::int32_t* counts) {
  if (rows <= 0) return;
  k = std::max<std::int32_t>(k, 0);
  thread_local std::vector<TopKSelector> selectors;
  selectors.clear();
  for (std::int32_t r = 0; r < rows; ++r) selectors.emplace_back(out + static_cast<std::ptrdiff_t>(r) * k, k);
  if (k > 0 && items.n_items > 0) {
    const Kernels kernels = select_kernels();
    const std::int32_t f = items.factors;
      alignas(64) float tile[kRows * kLanes];
    // Panel-major: one 16-item panel (4 KiB at 64 factors) stays in L1 while
    // every row group of the block passes over it; the block's rows stay in
    // L2. Each row's items therefore arrive in increasing id order, which is
    // what makes the gate test exact (see TopKSelector::gated).
    for (std::int32_t p = 0; p < items.n_panels(); ++p) {
      const float* panel = items.data.data() + static_cast<std::size_t>(p) * f * kLanes;
      const std::int32_t first = p * kLanes;
      const std::int32_t valid = std::min(kLanes, items.n_items - first);
      const unsigned valid_lanes = valid == kLanes ? 0xFFFFu : (1u << valid) - 1u;
      for (std::int32_t g = 0; g < rows; g += kRows) {
        const std::int32_t group = std::min(kRows, rows - g);
        kernels.by_rows[group](a + static_cast<std::ptrdiff_t>(g) * f, f, panel, tile);
        for (std::int32_t r = 0; r < group; ++r) {
          TopKSelector& selector = selectors[static_cast<std::size_t>(g + r)];
          const float* scores = tile + r * kLanes;
          unsigned lanes = valid_lanes;
          if (selector.gated()) lanes &= lanes_above(scores, selector.gate());
          if (lanes == 0) continue;
          const std::span<const std::int32_t> skip =
              exclude.empty() ? std::span<const std::int32_t>() : exclude[static_cast<std::size_t>(g + r)];
          for (; lanes != 0; lanes &= lanes - 1) {
            const int j = __builtin_ctz(lanes);
            const std::int32_t item = first + j;
            if (!skip.empty() && std::binary_search(skip.begin(), skip.end(), item)) continue;
            selector.push(item, scores[j]);
          }
        }
      }
    }
  }
  for (std::int32_t r = 0; r < rows; ++r) counts[r] = selectors[static_cast<std::size_t>(r)].finish();
}

const char* score_kernel_name() { return use_avx_fma() ? "avx+fma" : "portable"; }

void force_portable_score_kernel(bool force_portable) {
  portable_forced.store(force_portable, std::memory_order_relaxed);
}

}  // namespace segue
