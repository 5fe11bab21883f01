#include "ope/logged_feedback.h"

#include <algorithm>
#include <limits>

#include "data/csv_reader.h"
#include "data/error.h"

namespace segue::ope {
namespace {

// OBD's first column (the pandas index) has an empty name, which CsvReader's
// header check refuses; so the header is read as a record here, and errors
// name columns from it.
class ObdRows {
 public:
  explicit ObdRows(const std::string& path) : csv_(path, CsvOptions{.delimiter = 0, .header = false, .quotes = true}) {
    if (!csv_.next()) throw InputError(path, 1, "", "empty file: expected a header line");
    for (std::size_t i = 0; i < csv_.size(); ++i) header_.emplace_back(csv_.field(i));
  }

  int require(const std::string& name) const {
    const auto found = std::find(header_.begin(), header_.end(), name);
    if (found != header_.end()) return static_cast<int>(found - header_.begin());
    std::string have;
    for (const auto& h : header_) have += (have.empty() ? "" : ", ") + h;
    throw InputError(csv_.path(), 1, name, "no such column (--log); the header has: " + have);
  }

  // Next record, checked for width; a short line names its first missing column.
  bool next() {
    if (!csv_.next()) return false;
    if (csv_.size() < header_.size()) {
      throw error(static_cast<int>(csv_.size()),
                  "missing (the line has " + std::to_string(csv_.size()) + " of " + std::to_string(header_.size()) + " fields)");
    }
    if (csv_.size() > header_.size()) {
      throw InputError(csv_.path(), csv_.line(), "",
                       "expected " + std::to_string(header_.size()) + " fields (as in the header), found " +
                           std::to_string(csv_.size()));
    }
    return true;
  }

  InputError error(int column, const std::string& what) const {
    return InputError(csv_.path(), csv_.line(), header_[static_cast<std::size_t>(column)], what);
  }
  double number(int column) const {
    double out = 0.0;
    if (!parse_double(csv_.field(column), out)) {
      throw error(column, "expected a finite number, got '" + std::string(csv_.field(column)) + "'");
    }
    return out;
  }
  std::int64_t integer(int column) const {
    std::int64_t out = 0;
    if (!parse_int64(csv_.field(column), out)) {
      throw error(column, "expected an integer, got '" + std::string(csv_.field(column)) + "'");
    }
    return out;
  }
  std::size_t line() const { return csv_.line(); }

 private:
  CsvReader csv_;
  std::vector<std::string> header_;
};

}  // namespace

LoggedFeedback read_logged_feedback(const std::string& path) {
  ObdRows rows(path);
  const int item_col = rows.require("item_id");
  const int position_col = rows.require("position");
  const int click_col = rows.require("click");
  const int pscore_col = rows.require("propensity_score");
  LoggedFeedback log;
  log.path = path;
  std::vector<std::int64_t> positions;
  std::int64_t min_position = std::numeric_limits<std::int64_t>::max();
  std::size_t min_line = 0;
  while (rows.next()) {
    const std::int64_t item = rows.integer(item_col);
    if (item < 0 || item > kMaxItemId) {
      throw rows.error(item_col, "an item id in [0, " + std::to_string(kMaxItemId) + "]");
    }
    const std::int64_t position = rows.integer(position_col);
    if (position < 0 || position > 1000) throw rows.error(position_col, "a position in [0, 1000]");
    const double reward = rows.number(click_col);
    const double pscore = rows.number(pscore_col);
    if (!(pscore > 0.0 && pscore <= 1.0)) throw rows.error(pscore_col, "a propensity in (0, 1]");
    if (position < min_position) {
      min_position = position;
      min_line = rows.line();
    }
    log.item.push_back(static_cast<std::int32_t>(item));
    positions.push_back(position);
    log.reward.push_back(reward);
    log.pscore.push_back(pscore);
  }
  if (log.item.empty()) throw InputError(path, 1, "", "no logged rounds after the header");
  if (min_position > 1) {
    throw InputError(path, min_line, "position",
                     "the smallest position is " + std::to_string(min_position) +
                         "; positions must start at 0 or 1");
  }
  log.position_base = static_cast<std::int32_t>(min_position);
  log.slot.reserve(positions.size());
  for (const std::int64_t p : positions) log.slot.push_back(static_cast<std::int32_t>(p - min_position));
  log.n_items = *std::max_element(log.item.begin(), log.item.end()) + 1;
  log.n_slots = *std::max_element(log.slot.begin(), log.slot.end()) + 1;
  return log;
}

}  // namespace segue::ope
