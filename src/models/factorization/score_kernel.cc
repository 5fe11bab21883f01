#include "models/factorization/score_kernel.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SEGUE_X86 1
#endif

namespace segue {
namespace {

constexpr std::int32_t kLanes = PackedItems::kPanelItems;
constexpr std::int32_t kRows = 6;  // user rows per micro-tile: 6 × 16 accumulators fill 12 of 16 AVX registers

// A micro-kernel computes the R × 16 tile A[0..R) · panelᵀ (row-major, 16
// floats per row; `a` row-major with `factors` columns, the panel factor-major)
// and compares each row with its gate while the scores are still in registers:
// bit j of masks[r] is set unless score ≤ gates[r] (so a NaN gate passes every
// lane, and a NaN score always passes). The tile is stored only when some bit
// is set; returns whether it was.
using MicroKernel = bool (*)(const float* a, std::int32_t factors, const float* panel, const float* gates,
                             float* tile, unsigned* masks);

template <int R>
bool micro_portable(const float* a, std::int32_t factors, const float* panel, const float* gates, float* tile,
                    unsigned* masks) {
  float acc[R][kLanes] = {};
  for (std::int32_t k = 0; k < factors; ++k) {
    const float* b = panel + static_cast<std::ptrdiff_t>(k) * kLanes;
    for (int r = 0; r < R; ++r) {
      const float x = a[static_cast<std::ptrdiff_t>(r) * factors + k];
      for (int j = 0; j < kLanes; ++j) acc[r][j] += x * b[j];
    }
  }
  bool any = false;
  for (int r = 0; r < R; ++r) {
    unsigned mask = 0;
    for (int j = 0; j < kLanes; ++j) mask |= static_cast<unsigned>(!(acc[r][j] <= gates[r])) << j;
    masks[r] = mask;
    any |= mask != 0;
  }
  if (any) std::memcpy(tile, acc, sizeof(acc));
  return any;
}

#if SEGUE_X86
// The same product with 256-bit FMA: per factor, two loads of the panel and R
// broadcasts feed 2·R independent FMAs, all accumulators held in registers.
// Compiled for AVX+FMA only here (target attribute), called only when the CPU
// has them, so the rest of the binary stays baseline x86-64.
template <int R>
__attribute__((target("avx,fma"))) bool micro_avx_fma(const float* a, std::int32_t factors, const float* panel,
                                                       const float* gates, float* tile, unsigned* masks) {
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
  unsigned any = 0;
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    const __m256 gate = _mm256_broadcast_ss(gates + r);
    masks[r] = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(lo[r], gate, _CMP_NLE_UQ))) |
               static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(hi[r], gate, _CMP_NLE_UQ))) << 8;
    any |= masks[r];
  }
  if (any == 0) return false;
#pragma GCC unroll 6
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(tile + r * kLanes, lo[r]);
    _mm256_storeu_ps(tile + r * kLanes + 8, hi[r]);
  }
  return true;
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

namespace {

// Panels per chunk: about 192 KiB of item vectors, which stay in L2 while every
// row group of the block passes over them. Within a chunk a row group's six
// user rows (1.5 KiB at 64 factors) stay in L1 for the broadcasts, and the
// panels stream in order (prefetcher-friendly). Chunks and panels go in
// increasing item order, so each row sees its items in increasing id order,
// which is what makes the gate test exact (see TopKSelector::gated).
std::int32_t panels_per_chunk(std::int32_t factors) {
  const std::int64_t panel_bytes = static_cast<std::int64_t>(factors) * kLanes * sizeof(float);
  return static_cast<std::int32_t>(std::max<std::int64_t>(1, (192 << 10) / panel_bytes));
}

}  // namespace

void score_rows(const PackedItems& items, const float* a, std::int32_t rows, float* out, std::int64_t ld_out) {
  if (rows <= 0 || items.n_items == 0) return;
  const Kernels kernels = select_kernels();
  const std::int32_t f = items.factors;
  const std::int32_t chunk = panels_per_chunk(f);
  alignas(64) float tile[kRows * kLanes];
  unsigned masks[kRows];
  float pass_all[kRows];
  std::fill_n(pass_all, kRows, std::numeric_limits<float>::quiet_NaN());
  for (std::int32_t p0 = 0; p0 < items.n_panels(); p0 += chunk) {
    const std::int32_t p1 = std::min(p0 + chunk, items.n_panels());
    for (std::int32_t g = 0; g < rows; g += kRows) {
      const std::int32_t group = std::min(kRows, rows - g);
      const float* rows_a = a + static_cast<std::ptrdiff_t>(g) * f;
      for (std::int32_t p = p0; p < p1; ++p) {
        const std::int32_t first = p * kLanes;
        const std::int32_t valid = std::min(kLanes, items.n_items - first);
        kernels.by_rows[group](rows_a, f, items.data.data() + static_cast<std::size_t>(p) * f * kLanes, pass_all, tile,
                               masks);
        for (std::int32_t r = 0; r < group; ++r)
          std::copy_n(tile + r * kLanes, valid, out + static_cast<std::int64_t>(g + r) * ld_out + first);
      }
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
    const std::int32_t chunk = panels_per_chunk(f);
    alignas(64) float tile[kRows * kLanes];
    unsigned masks[kRows];
    float gates[kRows];
    for (std::int32_t p0 = 0; p0 < items.n_panels(); p0 += chunk) {
      const std::int32_t p1 = std::min(p0 + chunk, items.n_panels());
      for (std::int32_t g = 0; g < rows; g += kRows) {
        const std::int32_t group = std::min(kRows, rows - g);
        const float* rows_a = a + static_cast<std::ptrdiff_t>(g) * f;
        TopKSelector* row_selectors = selectors.data() + g;
        for (std::int32_t p = p0; p < p1; ++p) {
          const std::int32_t first = p * kLanes;
          const std::int32_t valid = std::min(kLanes, items.n_items - first);
          const unsigned valid_lanes = valid == kLanes ? 0xFFFFu : (1u << valid) - 1u;
          for (std::int32_t r = 0; r < group; ++r)
            gates[r] = row_selectors[r].gated() ? row_selectors[r].gate() : std::numeric_limits<float>::quiet_NaN();
          if (!kernels.by_rows[group](rows_a, f, items.data.data() + static_cast<std::size_t>(p) * f * kLanes, gates,
                                      tile, masks))
            continue;
          for (std::int32_t r = 0; r < group; ++r) {
            unsigned lanes = masks[r] & valid_lanes;
            if (lanes == 0) continue;
            TopKSelector& selector = row_selectors[r];
            const float* scores = tile + r * kLanes;
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
  }
  for (std::int32_t r = 0; r < rows; ++r) counts[r] = selectors[static_cast<std::size_t>(r)].finish();
}

const char* score_kernel_name() { return use_avx_fma() ? "avx+fma" : "portable"; }

void force_portable_score_kernel(bool force_portable) {
  portable_forced.store(force_portable, std::memory_order_relaxed);
}

}  // namespace segue
