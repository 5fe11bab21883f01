#include "data/dataset_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace segue {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Stable counting sort of `values` by `keys` into CSR order.
template <class T>
std::vector<T> gather(const std::vector<T>& values, const std::vector<std::int64_t>& order) {
  std::vector<T> out(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) out[i] = values[order[i]];
  return out;
}

std::vector<std::int64_t> csr_by_key(const std::vector<std::int32_t>& keys, std::int32_t n_keys,
                                     std::vector<std::int64_t>& indptr) {
  indptr.assign(static_cast<std::size_t>(n_keys) + 1, 0);
  for (std::int32_t k : keys) ++indptr[k + 1];
  std::partial_sum(indptr.begin(), indptr.end(), indptr.begin());
  std::vector<std::int64_t> next(indptr.begin(), indptr.end() - 1);
  std::vector<std::int64_t> order(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) order[next[keys[i]]++] = static_cast<std::int64_t>(i);
  return order;
}

template <class Column>
Column& column_named(std::vector<Column>& columns, std::string_view name) {
  for (auto& column : columns)
    if (column.name == name) return column;
  columns.push_back(Column{std::string(name), {}});
  return columns.back();
}

}  // namespace

DatasetBuilder::DatasetBuilder(SignalTable signal) : signal_(std::move(signal)) {
  dataset_.event_names.clear();
  dataset_.event_signal.clear();
  // Code 0 is always "play" so that an absent events array means "all plays".
  const int play = signal_.find("play");
  dataset_.event_names.push_back("play");
  dataset_.event_signal.push_back(play >= 0 ? signal_.entries()[play].second : 1.0f);
}

std::int16_t DatasetBuilder::event_code(std::string_view name) {
  for (std::size_t i = 0; i < dataset_.event_names.size(); ++i)
    if (dataset_.event_names[i] == name) return static_cast<std::int16_t>(i);
  const int index = signal_.find(name);
  if (index < 0) return -1;
  if (dataset_.event_names.size() >= static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max())) return -1;
  dataset_.event_names.emplace_back(name);
  dataset_.event_signal.push_back(signal_.entries()[index].second);
  return static_cast<std::int16_t>(dataset_.event_names.size() - 1);
}

void DatasetBuilder::add(const Event& event) {
  users_.push_back(event.user);
  items_.push_back(event.item);
  weights_.push_back(event.weight);
  times_.push_back(event.time);
  events_.push_back(event.event);
  sessions_.push_back(event.session);
  positions_.push_back(event.position);
  for (auto& column : context_) {
    if (column.categorical) {
      column.codes.push_back(-1);
    } else {
      column.values.push_back(kNaN);
    }
  }
}

int DatasetBuilder::context_column(std::string_view name, bool categorical) {
  for (std::size_t i = 0; i < context_.size(); ++i)
    if (context_[i].name == name) return static_cast<int>(i);
  ContextColumn column;
  column.name = std::string(name);
  column.categorical = categorical;
  if (categorical) {
    column.codes.assign(users_.size(), -1);
  } else {
    column.values.assign(users_.size(), kNaN);
  }
  context_.push_back(std::move(column));
  return static_cast<int>(context_.size() - 1);
}

void DatasetBuilder::set_context(int column, std::string_view category) {
  ContextColumn& c = context_[column];
  if (!c.codes.empty()) c.codes.back() = category.empty() ? -1 : c.vocab.intern(category);
}

void DatasetBuilder::set_context(int column, float value) {
  ContextColumn& c = context_[column];
  if (std::isinf(value))  // importers check their text first; this guards the stored dataset
    throw std::invalid_argument("context column '" + c.name + "': infinite value (NaN = missing is the only non-finite)");
  if (!c.values.empty()) c.values.back() = value;
}

void DatasetBuilder::set_string(RowData& rows, std::string_view column, std::int32_t row, std::string_view value) {
  StringColumn& c = column_named(rows.strings, column);
  if (c.values.size() <= static_cast<std::size_t>(row)) c.values.resize(static_cast<std::size_t>(row) + 1);
  c.values[row].assign(value);
}

void DatasetBuilder::set_number(RowData& rows, std::string_view column, std::int32_t row, float value) {
  NumericColumn& c = column_named(rows.numbers, column);
  if (c.values.size() <= static_cast<std::size_t>(row)) c.values.resize(static_cast<std::size_t>(row) + 1, kNaN);
  c.values[row] = value;
}

void DatasetBuilder::set_user_string(std::string_view column, std::int32_t user, std::string_view value) {
  set_string(user_rows_, column, user, value);
}
void DatasetBuilder::set_item_string(std::string_view column, std::int32_t item, std::string_view value) {
  set_string(item_rows_, column, item, value);
}
void DatasetBuilder::set_item_number(std::string_view column, std::int32_t item, float value) {
  set_number(item_rows_, column, item, value);
}
void DatasetBuilder::set_user_number(std::string_view column, std::int32_t user, float value) {
  set_number(user_rows_, column, user, value);
}

void DatasetBuilder::add_item_tag(std::int32_t item, std::string_view tag, float count) {
  tag_items_.push_back(item);
  tag_tokens_.push_back(tag_vocab_.intern(tag));
  tag_counts_.push_back(count);
}

void DatasetBuilder::add_friend(std::int32_t user, std::int32_t other) {
  if (user == other) return;
  friend_pairs_.emplace_back(user, other);
  friend_pairs_.emplace_back(other, user);
}

void DatasetBuilder::finish_rows(RowData& rows, std::int32_t n, Attributes& out) {
  for (auto& column : rows.strings) {
    column.values.resize(static_cast<std::size_t>(n));
    out.strings.push_back(std::move(column));
  }
  for (auto& column : rows.numbers) {
    column.values.resize(static_cast<std::size_t>(n), kNaN);
    out.numbers.push_back(std::move(column));
  }
}

Dataset DatasetBuilder::finish(std::string source) {
  Dataset out = std::move(dataset_);
  out.source = std::move(source);
  Interactions& x = out.interactions;
  x.n_users = out.users.size();
  x.n_items = out.items.size();
  std::vector<std::int64_t> indptr;
  const std::vector<std::int64_t> order = csr_by_key(users_, x.n_users, indptr);
  x.indptr = std::move(indptr);
  x.items = gather(items_, order);
  auto all_equal = [](const auto& v, auto value) {
    return std::all_of(v.begin(), v.end(), [&](auto e) { return e == value; });
  };
  if (!all_equal(weights_, 1.0f)) x.weights = gather(weights_, order);
  if (!all_equal(times_, kNoTime)) x.timestamps = gather(times_, order);
  if (!all_equal(events_, std::int16_t{0})) x.events = gather(events_, order);
  if (!all_equal(sessions_, kNoSession)) x.sessions = gather(sessions_, order);
  if (!all_equal(positions_, kNoPosition)) x.positions = gather(positions_, order);
  for (auto& column : context_) {
    if (column.categorical) {
      column.codes = gather(column.codes, order);
    } else {
      column.values = gather(column.values, order);
    }
    x.context.push_back(std::move(column));
  }

  finish_rows(user_rows_, out.n_users(), out.user_attributes);
  finish_rows(item_rows_, out.n_items(), out.item_attributes);

  if (!tag_items_.empty()) {
    // Merge duplicate (item, tag) pairs by summing counts; tokens sorted per item.
    TokenLists& tags = out.item_attributes.tags;
    tags.vocab = std::move(tag_vocab_);
    const std::vector<std::int64_t> tag_order = csr_by_key(tag_items_, out.n_items(), tags.indptr);
    std::vector<std::int64_t> merged_ptr(tags.indptr.size(), 0);
    std::vector<std::pair<std::int32_t, float>> row;
    for (std::int32_t item = 0; item < out.n_items(); ++item) {
      row.clear();
      for (std::int64_t k = tags.indptr[item]; k < tags.indptr[item + 1]; ++k)
        row.emplace_back(tag_tokens_[tag_order[k]], tag_counts_[tag_order[k]]);
      std::sort(row.begin(), row.end(), [](auto& a, auto& b) { return a.first < b.first; });
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (!tags.tokens.empty() && static_cast<std::int64_t>(tags.tokens.size()) > merged_ptr[item] &&
            tags.tokens.back() == row[i].first) {
          tags.counts.back() += row[i].second;
        } else {
          tags.tokens.push_back(row[i].first);
          tags.counts.push_back(row[i].second);
        }
      }
      merged_ptr[item + 1] = static_cast<std::int64_t>(tags.tokens.size());
    }
    tags.indptr = std::move(merged_ptr);
  }

  if (!friend_pairs_.empty()) {
    std::sort(friend_pairs_.begin(), friend_pairs_.end());
    friend_pairs_.erase(std::unique(friend_pairs_.begin(), friend_pairs_.end()), friend_pairs_.end());
    out.friends.indptr.assign(static_cast<std::size_t>(out.n_users()) + 1, 0);
    for (const auto& [u, v] : friend_pairs_) {
      ++out.friends.indptr[u + 1];
      out.friends.neighbors.push_back(v);
    }
    std::partial_sum(out.friends.indptr.begin(), out.friends.indptr.end(), out.friends.indptr.begin());
  }
  return out;
}

}  // namespace segue
