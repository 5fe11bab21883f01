#include "util/fault.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace segue {

void maybe_inject_fault(std::string_view site, int rank, std::int64_t step) {
  const char* spec = std::getenv("SEGUE_FAULT");
  if (spec == nullptr) return;
  const std::string text = spec;
  const auto colon = text.find(':');
  const auto colon2 = colon == std::string::npos ? colon : text.find(':', colon + 1);
  if (colon2 == std::string::npos) return;
  if (std::string_view(text).substr(0, colon) != site) return;
  if (std::atoi(text.c_str() + colon + 1) != rank || std::atoll(text.c_str() + colon2 + 1) != step) return;
  std::fprintf(stderr, "segue: SEGUE_FAULT: killing rank %d at %s %lld\n", rank, std::string(site).c_str(),
               static_cast<long long>(step));
  std::fflush(stderr);
  std::raise(SIGKILL);
}

}  // namespace segue
