// What memory a process can still take: the address space left under its
// limit (ulimit -v / RLIMIT_AS) and the machine's available memory (RAM the
// kernel can hand out plus free swap). Fits check a lower bound of what they
// will allocate against it first, so a model too large for the machine is a
// clear error naming both sizes, not a crash, an OOM kill, or a BLAS library
// spinning on a failed buffer allocation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace segue {

struct MemoryBudget {
  std::uint64_t bytes = UINT64_MAX;  // UINT64_MAX: unknown / unlimited
  std::string limited_by;            // "ulimit -v", "available memory" or "" when unlimited
};

MemoryBudget memory_budget();

// OpenBLAS's working buffer, mapped per BLAS thread at its first level-3 call (Debian 12's libopenblas0:
// 128 MiB, measured with strace).
constexpr std::uint64_t kOpenBlasBufferBytes = std::uint64_t{128} << 20;

// "310 MiB", "1.25 GiB"
std::string bytes_text(std::uint64_t bytes);

// Throws UsageError "WHAT needs at least N (DETAIL), but only M are left (LIMITED_BY); HINT" when
// `needed` exceeds `budget` (memory_budget(), read once by the caller).
void check_memory(const MemoryBudget& budget, std::string_view what, std::uint64_t needed, std::string_view detail,
                  std::string_view hint);

}  // namespace segue
