// "name:key=value,key=value" strings for evaluation policies and estimators,
// in the style of model specs (the values may not contain commas).
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace segue::ope {

struct SpecString {
  std::string name;
  std::map<std::string, std::string> params;
};

// UsageError naming `option` for an empty name, a parameter without '=' or a
// repeated key.
SpecString parse_spec_string(std::string_view text, std::string_view option);

// The parameter as a number / integer (UsageError naming option and key when
// it does not parse), or `fallback` when absent.
double spec_number(const SpecString& spec, const std::string& key, double fallback, std::string_view option);
std::int64_t spec_integer(const SpecString& spec, const std::string& key, std::int64_t fallback, std::string_view option);

// UsageError when the spec has a key not in `known` (comma-separated list).
void check_spec_keys(const SpecString& spec, std::string_view known, std::string_view option);

}  // namespace segue::ope
