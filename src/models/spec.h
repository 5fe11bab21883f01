// Spec strings ("ials:factors=128,reg=0.05"): a model name plus typed
// parameters, each declared by its model with a default, a range and a doc line.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace segue {

enum class ParamType { kInt, kFloat, kBool, kString };

using ParamValue = std::variant<std::int64_t, double, bool, std::string>;

// One parameter a model accepts. Ranges are inclusive unless min_exclusive
// (for "> 0"); they apply to int and float parameters.
struct ParamDecl {
  std::string name;
  ParamType type = ParamType::kFloat;
  ParamValue default_value;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  std::string doc;  // one line, shown by --help

  std::string range_text() const;  // "[0, inf)", "(0, 1]", "" for bool/string
};

ParamDecl int_param(std::string name, std::int64_t default_value, double min, double max, std::string doc);
ParamDecl float_param(std::string name, double default_value, double min, double max, std::string doc,
                      bool min_exclusive = false);
ParamDecl bool_param(std::string name, bool default_value, std::string doc);
ParamDecl string_param(std::string name, std::string default_value, std::string doc);

// A parsed spec: the model name and one value per declared parameter, in
// declaration order. Printing gives the canonical form, every parameter
// spelled out: "pop:decay_days=0". Parsing the printed form gives it back.
class ModelSpec {
 public:
  ModelSpec() = default;
  // The defaults of every declared parameter.
  ModelSpec(std::string name, std::vector<ParamDecl> decls);

  const std::string& name() const { return name_; }
  const std::vector<ParamDecl>& decls() const { return decls_; }
  const std::vector<ParamValue>& values() const { return values_; }

  // Typed access; asking for an undeclared key or the wrong type is a
  // programming error (std::logic_error), not a user error.
  std::int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;

  // Parses `text` for parameter `key` and stores it; UsageError names the key.
  void set(std::string_view key, std::string_view text);

  std::string to_string() const;
  // Only the parameters that differ from their defaults ("ease:lambda=100",
  // or just "ease"): for tables; to_string() is the full record.
  std::string to_short_string() const;
  friend bool operator==(const ModelSpec& a, const ModelSpec& b) {
    return a.name_ == b.name_ && a.values_ == b.values_;
  }

 private:
  std::size_t index_of(std::string_view key) const;  // decls_.size() if unknown

  std::string name_;
  std::vector<ParamDecl> decls_;
  std::vector<ParamValue> values_;
};

// The raw pieces of "name:key=value,key=value" (whitespace around pieces is
// trimmed). UsageError for an empty name, an entry without '=', an empty key
// or a key given twice.
struct SpecParts {
  std::string name;
  std::vector<std::pair<std::string, std::string>> params;
};
SpecParts split_spec(std::string_view text);

// Parses the parameters of `parts` against `decls`: unknown keys, bad types,
// out-of-range values and NaN/inf are UsageErrors naming the key.
ModelSpec parse_params(const SpecParts& parts, std::vector<ParamDecl> decls);

std::string format_param_value(const ParamValue& value);  // 0.05, 128, true, text

}  // namespace segue
