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

namespace {

// C=0 … B=11 from "C", "c#", "Db", "B" (sharps and flats; -1 if not a name).
int pitch_class_of(std::string_view name) {
  if (name.empty() || name.size() > 2) return -1;
  static constexpr int kNatural[7] = {9, 11, 0, 2, 4, 5, 7};  // A B C D E F G
  const char letter = static_cast<char>(name[0] | 0x20);
  if (letter < 'a' || letter > 'g') return -1;
  int pc = kNatural[letter - 'a'];
  if (name.size() == 2) {
    if (name[1] == '#') pc += 1;
    else if (name[1] == 'b') pc += 11;
    else return -1;
  }
  return pc % 12;
}

bool equals_lower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t k = 0; k < text.size(); ++k)
    if (static_cast<char>(text[k] | 0x20) != lower[k]) return false;
  return true;
}

}  // namespace

bool audio_cell(const CsvReader& csv, int column, std::string_view column_name, double& out) {
  const std::string_view text = trim_cell(csv.text(column));
  if (column_name == "key") {
    if (const int pc = pitch_class_of(text); pc >= 0) {
      out = pc;
      return true;
    }
  } else if (column_name == "mode") {
    if (equals_lower(text, "major")) return out = 1.0, true;
    if (equals_lower(text, "minor")) return out = 0.0, true;
  }
  return numeric_cell(csv, column, out);
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
