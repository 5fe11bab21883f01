// The dense scoring kernel of factor models: scores = A · Vᵀ for a block of
// user rows A against every item vector V, either written out or selected
// top-k on the fly without the score matrix ever leaving registers.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/top_k.h"

namespace segue {

// Item factors rearranged for the kernel: panels of kPanelItems items, each
// stored factor-major ([panel][factor][kPanelItems]), the last panel padded with
// zero vectors. Built once per model (the same size as V).
struct PackedItems {
  static constexpr std::int32_t kPanelItems = 16;
  std::int32_t n_items = 0;
  std::int32_t factors = 0;
  std::vector<float> data;

  std::int32_t n_panels() const { return (n_items + kPanelItems - 1) / kPanelItems; }
};

// Packs the row-major n_items × factors matrix `v`.
PackedItems pack_items(const float* v, std::int32_t n_items, std::int32_t factors);

// out[r * ld_out + i] = A[r] · V[i] for r < rows, i < n_items; `a` is row-major
// rows × factors. Single-threaded (callers parallelise over blocks of users).
void score_rows(const PackedItems& items, const float* a, std::int32_t rows, float* out, std::int64_t ld_out);

// For each row r of A: the min(k, eligible) best items of A[r] · Vᵀ, best first,
// ties by lower item id (exactly top_k() over the scores score_rows() writes),
// skipping exclude[r] (sorted ascending; may be empty). Writes out[r * k ..] and
// counts[r]. Scores are compared against each row's current k-th best while
// still in registers, so almost none is ever stored.
void top_k_rows_fused(const PackedItems& items, const float* a, std::int32_t rows,
                      std::span<const std::span<const std::int32_t>> exclude, std::int32_t k, ScoredItem* out,
                      std::int32_t* counts);

// Which kernel runs: "avx+fma" when the CPU has them, else "portable". Setting
// force_portable (tests) makes every later call use the portable kernel.
const char* score_kernel_name();
void force_portable_score_kernel(bool force_portable);

}  // namespace segue
