// What a FeatureMatrix built from any accepted file must satisfy (models index
// with it unchecked): CSR shape, sorted unique in-range feature ids, finite values.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "features/feature_matrix.h"

namespace segue::fuzz {

inline void expect_valid(const FeatureMatrix& m, std::int32_t rows) {
  auto fail = [](const char* what) {
    std::fprintf(stderr, "segue fuzz: invalid feature matrix: %s\n", what);
    std::abort();
  };
  if (m.n_rows != rows) fail("n_rows differs from the id map");
  if (m.indptr.size() != static_cast<std::size_t>(m.n_rows) + 1 || m.indptr.front() != 0) fail("indptr shape");
  if (static_cast<std::size_t>(m.indptr.back()) != m.indices.size() || m.indices.size() != m.values.size())
    fail("indptr end, indices and values disagree");
  if (m.names.size() != static_cast<std::size_t>(m.n_features) || m.group_of.size() != m.names.size())
    fail("names/group_of sizes");
  for (std::int32_t r = 0; r < m.n_rows; ++r) {
    if (m.indptr[r] > m.indptr[r + 1]) fail("indptr decreases");
    for (std::int64_t k = m.indptr[r]; k < m.indptr[r + 1]; ++k) {
      if (m.indices[k] < 0 || m.indices[k] >= m.n_features) fail("feature id out of range");
      if (k > m.indptr[r] && m.indices[k] <= m.indices[k - 1]) fail("feature ids not ascending and unique");
      if (!std::isfinite(m.values[k])) fail("non-finite value");
    }
  }
  for (const std::int16_t g : m.group_of)
    if (g < 0 || static_cast<std::size_t>(g) >= m.groups.size()) fail("group index out of range");
}

}  // namespace segue::fuzz
