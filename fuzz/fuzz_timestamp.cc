// parse_timestamp: unix seconds and ISO-8601 dates and date-times. An accepted
// time in the years 0000-9999 (what ISO-8601's four-digit years can say) must
// format back to a date-time that parses to the same second.
#include <cstdint>

#include "data/timestamp.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::int64_t seconds = 0;
  if (!segue::parse_timestamp(text, seconds)) return 0;
  constexpr std::int64_t kYear0 = -62167219200, kYear10000 = 253402300800;  // 0000-01-01, 10000-01-01 UTC
  if (seconds < kYear0 || seconds >= kYear10000) return 0;
  const std::string formatted = segue::format_timestamp(seconds);
  std::int64_t again = 0;
  if (!segue::parse_timestamp(formatted, again) || again != seconds) {
    std::fprintf(stderr, "segue fuzz: %lld formats as '%s', which parses back to %lld\n",
                 static_cast<long long>(seconds), formatted.c_str(), static_cast<long long>(again));
    std::abort();
  }
  return 0;
}
