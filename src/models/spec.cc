#include "models/spec.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

#include "data/error.h"

namespace segue {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string format_bound(double value) {
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  return format_param_value(value);
}

const char* type_name(ParamType type) {
  switch (type) {
    case ParamType::kInt: return "an integer";
    case ParamType::kFloat: return "a number";
    case ParamType::kBool: return "true or false";
    case ParamType::kString: return "a string";
  }
  return "a value";
}

[[noreturn]] void bad_value(const std::string& model, const ParamDecl& decl, std::string_view text,
                            const std::string& expected) {
  throw UsageError("model '" + model + "': parameter '" + decl.name + "': expected " + expected + ", got '" +
                   std::string(text) + "'");
}

void check_range(const std::string& model, const ParamDecl& decl, double value, std::string_view text) {
  const bool low_ok = decl.min_exclusive ? value > decl.min : value >= decl.min;
  if (!low_ok || value > decl.max)
    bad_value(model, decl, text, std::string(type_name(decl.type)) + " in " + decl.range_text());
}

ParamValue parse_value(const std::string& model, const ParamDecl& decl, std::string_view text) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  switch (decl.type) {
    case ParamType::kInt: {
      std::int64_t value = 0;
      const auto [end, error] = std::from_chars(first, last, value);
      if (text.empty() || error != std::errc() || end != last) bad_value(model, decl, text, "an integer");
      check_range(model, decl, static_cast<double>(value), text);
      return value;
    }
    case ParamType::kFloat: {
      double value = 0;
      const auto [end, error] = std::from_chars(first, last, value);
      if (text.empty() || error != std::errc() || end != last) bad_value(model, decl, text, "a number");
      if (!std::isfinite(value)) bad_value(model, decl, text, "a finite number");
      check_range(model, decl, value, text);
      return value;
    }
    case ParamType::kBool:
      if (text == "true" || text == "1" || text == "yes") return true;
      if (text == "false" || text == "0" || text == "no") return false;
      bad_value(model, decl, text, "true or false");
    case ParamType::kString:
      return std::string(text);
  }
  bad_value(model, decl, text, "a value");
}

}  // namespace

std::string format_param_value(const ParamValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&value)) return *s;
  // Shortest text that reads back to the same double: 0.05, not 0.050000.
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, std::get<double>(value));
  return std::string(buffer, error == std::errc() ? end : buffer);
}

std::string ParamDecl::range_text() const {
  if (type != ParamType::kInt && type != ParamType::kFloat) return "";
  return std::string(min_exclusive ? "(" : "[") + format_bound(min) + ", " + format_bound(max) +
         (std::isinf(max) ? ")" : "]");
}

ParamDecl int_param(std::string name, std::int64_t default_value, double min, double max, std::string doc) {
  return ParamDecl{std::move(name), ParamType::kInt, default_value, min, max, false, std::move(doc)};
}

ParamDecl float_param(std::string name, double default_value, double min, double max, std::string doc,
                      bool min_exclusive) {
  return ParamDecl{std::move(name), ParamType::kFloat, default_value, min, max, min_exclusive, std::move(doc)};
}

ParamDecl bool_param(std::string name, bool default_value, std::string doc) {
  ParamDecl decl{std::move(name), ParamType::kBool, default_value, 0, 1, false, std::move(doc)};
  return decl;
}

ParamDecl string_param(std::string name, std::string default_value, std::string doc) {
  return ParamDecl{std::move(name), ParamType::kString, std::move(default_value), 0, 0, false, std::move(doc)};
}

ModelSpec::ModelSpec(std::string name, std::vector<ParamDecl> decls) : name_(std::move(name)), decls_(std::move(decls)) {
  values_.reserve(decls_.size());
  for (const ParamDecl& decl : decls_) values_.push_back(decl.default_value);
}

std::size_t ModelSpec::index_of(std::string_view key) const {
  for (std::size_t i = 0; i < decls_.size(); ++i)
    if (decls_[i].name == key) return i;
  return decls_.size();
}

namespace {

template <class T>
const T& typed_value(const std::string& model, const std::vector<ParamDecl>& decls,
                     const std::vector<ParamValue>& values, std::string_view key) {
  for (std::size_t i = 0; i < decls.size(); ++i) {
    if (decls[i].name != key) continue;
    if (const T* value = std::get_if<T>(&values[i])) return *value;
    throw std::logic_error("model '" + model + "': parameter '" + std::string(key) + "' read with the wrong type");
  }
  throw std::logic_error("model '" + model + "': parameter '" + std::string(key) + "' is not declared");
}

}  // namespace

std::int64_t ModelSpec::get_int(std::string_view key) const {
  return typed_value<std::int64_t>(name_, decls_, values_, key);
}
double ModelSpec::get_float(std::string_view key) const { return typed_value<double>(name_, decls_, values_, key); }
bool ModelSpec::get_bool(std::string_view key) const { return typed_value<bool>(name_, decls_, values_, key); }
const std::string& ModelSpec::get_string(std::string_view key) const {
  return typed_value<std::string>(name_, decls_, values_, key);
}

void ModelSpec::set(std::string_view key, std::string_view text) {
  const std::size_t index = index_of(key);
  if (index == decls_.size()) {
    std::string known;
    for (const ParamDecl& decl : decls_) known += (known.empty() ? "" : ", ") + decl.name;
    throw UsageError("model '" + name_ + "': unknown parameter '" + std::string(key) + "' (known: " +
                     (known.empty() ? "none" : known) + ")");
  }
  values_[index] = parse_value(name_, decls_[index], text);
}

std::string ModelSpec::to_string() const {
  std::string out = name_;
  for (std::size_t i = 0; i < decls_.size(); ++i)
    out.append(i == 0 ? ":" : ",").append(decls_[i].name).append("=").append(format_param_value(values_[i]));
  return out;
}

std::string ModelSpec::to_short_string() const {
  std::string out = name_;
  bool first = true;
  for (std::size_t i = 0; i < decls_.size(); ++i) {
    if (values_[i] == decls_[i].default_value) continue;
    out.append(first ? ":" : ",").append(decls_[i].name).append("=").append(format_param_value(values_[i]));
    first = false;
  }
  return out;
}

SpecParts split_spec(std::string_view text) {
  SpecParts parts;
  const std::size_t colon = text.find(':');
  parts.name = std::string(trim(text.substr(0, colon)));
  if (parts.name.empty()) throw UsageError("model spec '" + std::string(text) + "': missing the model name");
  if (colon == std::string_view::npos) return parts;
  std::string_view rest = text.substr(colon + 1);
  if (trim(rest).empty()) return parts;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view entry = rest.substr(0, comma);
    const std::size_t eq = entry.find('=');
    const std::string_view key = trim(entry.substr(0, eq));
    if (eq == std::string_view::npos || key.empty())
      throw UsageError("model '" + parts.name + "': expected key=value, got '" + std::string(trim(entry)) + "'");
    for (const auto& [seen, value] : parts.params)
      if (seen == key) throw UsageError("model '" + parts.name + "': parameter '" + std::string(key) + "' given twice");
    parts.params.emplace_back(std::string(key), std::string(trim(entry.substr(eq + 1))));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return parts;
}

ModelSpec parse_params(const SpecParts& parts, std::vector<ParamDecl> decls) {
  ModelSpec spec(parts.name, std::move(decls));
  for (const auto& [key, value] : parts.params) spec.set(key, value);
  return spec;
}

}  // namespace segue
