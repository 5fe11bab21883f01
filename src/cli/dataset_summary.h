// One-line dataset summaries shared by the commands that load or write data.
#pragma once

#include "data/dataset.h"

namespace segue::cli {

void print_summary_line(const Dataset& dataset);

}  // namespace segue::cli
