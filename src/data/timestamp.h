// Timestamps as importers meet them: unix seconds, or ISO-8601 dates and
// date-times ("2019-01-31", "2019-01-31T12:00:00Z", "2019-01-31 12:00:00+01:00").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace segue {

// True and unix seconds (UTC) in `out` when `text` is one of the forms above.
bool parse_timestamp(std::string_view text, std::int64_t& out);

// "2019-01-31T12:00:00Z"
std::string format_timestamp(std::int64_t unix_seconds);

}  // namespace segue
