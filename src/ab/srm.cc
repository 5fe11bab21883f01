#include "ab/srm.h"

#include <stdexcept>

#include "ab/distributions.h"

namespace segue::ab {

SrmTest srm_test(std::span<const std::int64_t> listeners, std::span<const double> shares) {
  if (listeners.size() != shares.size() || listeners.size() < 2)
    throw std::invalid_argument("srm_test: need one share per arm and at least 2 arms");
  double total = 0.0, share_sum = 0.0;
  for (std::size_t a = 0; a < listeners.size(); ++a) {
    if (!(shares[a] > 0.0)) throw std::invalid_argument("srm_test: shares must be positive");
    total += static_cast<double>(listeners[a]);
    share_sum += shares[a];
  }
  SrmTest out;
  out.df = static_cast<int>(listeners.size()) - 1;
  for (std::size_t a = 0; a < listeners.size(); ++a) {
    const double expected = total * shares[a] / share_sum;
    out.expected.push_back(expected);
    const double gap = static_cast<double>(listeners[a]) - expected;
    if (expected > 0.0) out.chi_square += gap * gap / expected;
  }
  out.p = chi_square_sf(out.chi_square, out.df);
  return out;
}

}  // namespace segue::ab
