#include "features/feature_cells.h"

#include <string>

namespace segue {

namespace {

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string_view trim_cell(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_nan_text(std::string_view s) {
  const std::string l = lower_ascii(s);
  return l == "nan" || l == "-nan" || l == "+nan";
}

bool is_inf_text(std::string_view s) {
  const std::string l = lower_ascii(s);
  return l == "inf" || l == "-inf" || l == "+inf" || l == "infinity" || l == "-infinity" || l == "+infinity";
}

bool number_like(std::string_view text) {
  double ignored = 0;
  text = trim_cell(text);
  return text.empty() || parse_double(text, ignored) || is_nan_text(text) || is_inf_text(text);
}

bool numeric_cell(const CsvReader& csv, int column, double& out) {
  const std::string_view text = trim_cell(csv.text(column));
  if (text.empty() || is_nan_text(text)) return false;
  if (is_inf_text(text))
    throw csv.error(column, "infinite value '" + std::string(text) + "' (give a finite number or leave it empty)");
  if (!parse_double(text, out)) throw csv.error(column, "expected a finite number, got '" + std::string(text) + "'");
  return true;
}

std::pair<std::string_view, double> token_and_count(std::string_view token) {
  const std::size_t colon = token.rfind(':');
  if (colon != std::string_view::npos && colon > 0) {
    double count = 0;
    if (parse_double(token.substr(colon + 1), count) && count > 0) return {trim_cell(token.substr(0, colon)), count};
  }
  return {token, 1.0};
}

}  // namespace segue
