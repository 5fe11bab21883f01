#include "models/memory_budget.h"

#include <sys/resource.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "data/error.h"

namespace segue {
namespace {

// A "Key:   value kB" line of a /proc file, in bytes; UINT64_MAX when absent.
std::uint64_t proc_kib(const char* path, std::string_view key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() && line[key.size()] == ':') {
      std::istringstream value(line.substr(key.size() + 1));
      std::uint64_t kib = 0;
      if (value >> kib) return kib * 1024;
    }
  }
  return UINT64_MAX;
}

}  // namespace

MemoryBudget memory_budget() {
  MemoryBudget budget;
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    const std::uint64_t used = proc_kib("/proc/self/status", "VmSize");
    const std::uint64_t cap = static_cast<std::uint64_t>(limit.rlim_cur);
    budget.bytes = used == UINT64_MAX ? cap : (used < cap ? cap - used : 0);
    budget.limited_by = "ulimit -v " + std::to_string(cap / 1024) + " (address space), " +
                        (used == UINT64_MAX ? std::string("?") : bytes_text(used)) + " of it in use";
  }
  const std::uint64_t available = proc_kib("/proc/meminfo", "MemAvailable");
  const std::uint64_t swap = proc_kib("/proc/meminfo", "SwapFree");
  if (available != UINT64_MAX) {
    const std::uint64_t machine = available + (swap == UINT64_MAX ? 0 : swap);
    if (machine < budget.bytes) {
      budget.bytes = machine;
      budget.limited_by = "the machine's available memory and free swap";
    }
  }
  return budget;
}

std::string bytes_text(std::uint64_t bytes) {
  char text[32];
  const double b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(text, sizeof text, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024) std::snprintf(text, sizeof text, "%.0f MiB", b / (1024.0 * 1024));
  else std::snprintf(text, sizeof text, "%.0f KiB", b / 1024.0);
  return text;
}

void check_memory(const MemoryBudget& budget, std::string_view what, std::uint64_t needed, std::string_view detail,
                  std::string_view hint) {
  if (needed <= budget.bytes) return;
  throw UsageError(std::string(what) + " needs at least " + bytes_text(needed) + " (" + std::string(detail) +
                   "), but only " + bytes_text(budget.bytes) + " are left (" + budget.limited_by + ")" +
                   (hint.empty() ? "" : "; " + std::string(hint)));
}

}  // namespace segue
