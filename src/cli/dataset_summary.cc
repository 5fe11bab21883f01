#include "cli/dataset_summary.h"

#include <cstdio>

namespace segue::cli {

void print_summary_line(const Dataset& dataset) {
  std::printf("%d users, %d items, %lld interactions\n", dataset.n_users(), dataset.n_items(),
              static_cast<long long>(dataset.interactions.size()));
}

}  // namespace segue::cli
