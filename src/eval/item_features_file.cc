// Reading item features (numeric columns and '|'-separated tags) into a dense,
// standardised ItemFeatures matrix in the training item ids.
#include "eval/item_features_file.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>

#include "data/csv_reader.h"
#include "data/error.h"

namespace segue {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ItemFeaturesFile read_item_features_csv(const std::string& path, const IdMap& items, std::int64_t max_floats) {
  CsvReader csv(path);
  const int item_col = csv.require_column("item_id", "the item features file's item column");
  const int tags_col = csv.column("tags");
  std::vector<int> numeric;
  ItemFeaturesFile out;
  for (int c = 0; c < static_cast<int>(csv.header().size()); ++c) {
    if (c == item_col || c == tags_col) continue;
    numeric.push_back(c);
    out.columns.push_back(csv.header()[static_cast<std::size_t>(c)]);
  }
  if (numeric.empty() && tags_col < 0)
    throw UsageError("--items " + path + ": no feature column (give numeric columns and/or a 'tags' column)");
  out.numeric_columns = static_cast<std::int32_t>(numeric.size());

  const std::int32_t n_items = items.size();
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  const std::size_t n_numeric = numeric.size();
  std::vector<double> values(static_cast<std::size_t>(n_items) * n_numeric, std::nan(""));
  std::vector<std::vector<std::int32_t>> item_tags(static_cast<std::size_t>(n_items));
  std::vector<std::size_t> line_of(static_cast<std::size_t>(n_items), 0);
  std::vector<char> incomplete(static_cast<std::size_t>(n_items), 0);
  IdMap tags, unknown;
  while (csv.next()) {
    csv.expect_width();
    ++out.rows;
    const std::string_view name = csv.id(item_col);
    // Numbers are checked on every row, known item or not: a malformed file is an error either way.
    std::vector<double> row(n_numeric, std::nan(""));
    bool complete = true;
    for (std::size_t j = 0; j < n_numeric; ++j) {
      if (trim(csv.text(numeric[j])).empty()) {
        complete = false;
        continue;
      }
      row[j] = csv.number(numeric[j]);
    }
    const std::int32_t item = items.find(name);
    if (item == IdMap::kMissing) {
      ++out.unknown_item_rows;
      unknown.intern(name);
      continue;
    }
    const auto at = static_cast<std::size_t>(item);
    if (line_of[at] != 0)
      throw csv.error(item_col, "item '" + std::string(name) + "' already listed on line " + std::to_string(line_of[at]));
    line_of[at] = csv.line();
    ++out.items_with_row;
    if (!complete) {
      ++out.incomplete_rows;
      incomplete[at] = 1;
    }
    std::copy(row.begin(), row.end(), values.begin() + static_cast<std::ptrdiff_t>(at * n_numeric));
    if (tags_col >= 0) {
      std::string_view rest = csv.text(tags_col);
      while (!rest.empty()) {
        const std::size_t bar = rest.find('|');
        const std::string_view tag = trim(rest.substr(0, bar));
        rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
        if (tag.empty()) continue;
        const std::int32_t id = tags.intern(tag);
        auto& list = item_tags[at];
        if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
      }
    }
  }
  out.unknown_items = unknown.size();
  out.tag_columns = tags.size();
  for (std::int32_t t = 0; t < tags.size(); ++t) out.columns.push_back("tag:" + std::string(tags.name(t)));

  const std::int64_t dim = static_cast<std::int64_t>(n_numeric) + tags.size();
  if (dim * n_items > max_floats)
    throw UsageError("--items " + path + ": " + std::to_string(n_items) + " items x " + std::to_string(dim) +
                     " feature columns is too large (keep fewer distinct tags)");
  // z-scores over the training items that have the value.
  std::vector<double> mean(n_numeric, 0.0), scale(n_numeric, 0.0);
  for (std::size_t j = 0; j < n_numeric; ++j) {
    double sum = 0, sq = 0;
    std::int64_t n = 0;
    for (std::int32_t i = 0; i < n_items; ++i) {
      const double v = values[static_cast<std::size_t>(i) * n_numeric + j];
      if (std::isnan(v)) continue;
      sum += v;
      ++n;
    }
    if (n == 0) continue;
    mean[j] = sum / static_cast<double>(n);
    for (std::int32_t i = 0; i < n_items; ++i) {
      const double v = values[static_cast<std::size_t>(i) * n_numeric + j];
      if (!std::isnan(v)) sq += (v - mean[j]) * (v - mean[j]);
    }
    const double sd = std::sqrt(sq / static_cast<double>(n));  // population standard deviation
    scale[j] = sd > 0 ? 1.0 / sd : 0.0;
  }
  out.features.dim = static_cast<std::int32_t>(dim);
  out.features.values.assign(static_cast<std::size_t>(dim * n_items), kNaN);
  for (std::int32_t i = 0; i < n_items; ++i) {
    const auto at = static_cast<std::size_t>(i);
    if (line_of[at] == 0 || incomplete[at]) continue;  // not in the file, or a missing value: NaN row
    float* row = out.features.values.data() + at * static_cast<std::size_t>(dim);
    for (std::size_t j = 0; j < n_numeric; ++j)
      row[j] = static_cast<float>((values[at * n_numeric + j] - mean[j]) * scale[j]);
    for (std::int64_t t = 0; t < tags.size(); ++t) row[n_numeric + static_cast<std::size_t>(t)] = 0.0f;
    for (std::int32_t t : item_tags[at]) row[n_numeric + static_cast<std::size_t>(t)] = 1.0f;
  }
  return out;
}

}  // namespace segue
