// Fault injection for tests of failure handling (docs/SCALE.md, "Faults"):
// SEGUE_FAULT=SITE:RANK:STEP kills this process (SIGKILL, as a lost node would
// end it) when it reaches step STEP of SITE as rank RANK (0 outside mpirun).
// Sites: ials_iteration (after the iteration's factors and checkpoint).
#pragma once

#include <cstdint>
#include <string_view>

namespace segue {

void maybe_inject_fault(std::string_view site, int rank, std::int64_t step);

}  // namespace segue
