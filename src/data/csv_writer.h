// Writing CSV fields the way CsvReader reads them back (RFC 4180).
#pragma once

#include <string>
#include <string_view>

namespace segue {

// Appends `field`, quoted when it holds a comma, quote or line break or starts
// or ends with a space (the reader trims unquoted fields); inner quotes doubled.
inline void append_csv_field(std::string& out, std::string_view field) {
  const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (const char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace segue
