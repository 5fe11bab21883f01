// Sample-ratio mismatch: do the arms hold the listeners their shares promise?
// A mismatch means assignment or logging is broken (bots, a crashing arm,
// lost logs), and every other figure of the experiment is suspect.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace segue::ab {

struct SrmTest {
  std::vector<double> expected;  // N · share of each arm
  double chi_square = 0.0;       // Σ (observed − expected)² / expected
  int df = 0;                    // arms − 1
  double p = 1.0;                // P(χ²_df > chi_square)
};

// Pearson's chi-square goodness of fit of the listeners per arm against the
// configured shares (aligned; std::invalid_argument when sizes differ, there
// are fewer than 2 arms or a share is not positive).
SrmTest srm_test(std::span<const std::int64_t> listeners, std::span<const double> shares);

}  // namespace segue::ab
