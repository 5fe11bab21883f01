#include "ope/spec_string.h"

#include "data/csv_reader.h"
#include "data/error.h"

namespace segue::ope {
namespace {

std::string where(std::string_view option, const SpecString& spec) {
  return std::string(option) + " '" + spec.name + "'";
}

}  // namespace

SpecString parse_spec_string(std::string_view text, std::string_view option) {
  SpecString spec;
  const std::size_t colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  if (spec.name.empty()) throw UsageError(std::string(option) + ": empty name in '" + std::string(text) + "'");
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      throw UsageError(where(option, spec) + ": expected key=value, got '" + std::string(item) + "'");
    }
    const std::string key(item.substr(0, eq));
    if (!spec.params.emplace(key, std::string(item.substr(eq + 1))).second) {
      throw UsageError(where(option, spec) + ": parameter '" + key + "' given twice");
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return spec;
}

double spec_number(const SpecString& spec, const std::string& key, double fallback, std::string_view option) {
  const auto found = spec.params.find(key);
  if (found == spec.params.end()) return fallback;
  double value = 0.0;
  if (!parse_double(found->second, value)) {
    throw UsageError(where(option, spec) + ": " + key + " must be a number, got '" + found->second + "'");
  }
  return value;
}

std::int64_t spec_integer(const SpecString& spec, const std::string& key, std::int64_t fallback,
                          std::string_view option) {
  const auto found = spec.params.find(key);
  if (found == spec.params.end()) return fallback;
  std::int64_t value = 0;
  if (!parse_int64(found->second, value)) {
    throw UsageError(where(option, spec) + ": " + key + " must be an integer, got '" + found->second + "'");
  }
  return value;
}

void check_spec_keys(const SpecString& spec, std::string_view known, std::string_view option) {
  for (const auto& [key, value] : spec.params) {
    const std::string padded = "," + std::string(known) + ",";
    if (padded.find("," + key + ",") == std::string::npos) {
      throw UsageError(where(option, spec) + ": unknown parameter '" + key + "' (known: " + std::string(known) + ")");
    }
  }
}

}  // namespace segue::ope
