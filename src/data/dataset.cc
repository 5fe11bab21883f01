#include "data/dataset.h"

#include <cmath>
#include <span>
#include <stdexcept>

namespace segue {
namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

template <class Array>
void check_optional(const Array& array, std::int64_t n, const char* name) {
  check(array.empty() || static_cast<std::int64_t>(array.size()) == n,
        std::string(name) + ": " + std::to_string(array.size()) + " entries for " + std::to_string(n) +
            " events");
}

void check_csr(std::span<const std::int64_t> indptr, std::int64_t rows, std::int64_t nnz,
               const std::string& name) {
  check(static_cast<std::int64_t>(indptr.size()) == rows + 1,
        name + ": indptr has " + std::to_string(indptr.size()) + " entries for " + std::to_string(rows) + " rows");
  check(indptr.front() == 0 && indptr.back() == nnz, name + ": indptr does not span its entries");
  for (std::size_t i = 1; i < indptr.size(); ++i)
    if (indptr[i] < indptr[i - 1]) check(false, name + ": indptr decreases at row " + std::to_string(i - 1));
}

void check_attributes(const Attributes& attributes, std::int64_t rows, const std::string& side) {
  for (const auto& column : attributes.strings)
    check(static_cast<std::int64_t>(column.values.size()) == rows,
          side + " column '" + column.name + "' has the wrong number of rows");
  for (const auto& column : attributes.numbers)
    check(static_cast<std::int64_t>(column.values.size()) == rows,
          side + " column '" + column.name + "' has the wrong number of rows");
  const TokenLists& tags = attributes.tags;
  if (tags.tokens.empty() && tags.indptr.size() <= 1) return;
  check_csr(tags.indptr, rows, static_cast<std::int64_t>(tags.tokens.size()), side + " tags");
  check(tags.counts.size() == tags.tokens.size(), side + " tags: counts do not match tokens");
  // Per-element checks build their message only on failure: no allocation per element.
  for (std::int32_t t : tags.tokens)
    if (t < 0 || t >= tags.vocab.size()) check(false, side + " tags: token id out of range");
}

}  // namespace

void Interactions::validate() const {
  check(n_users >= 0 && n_items >= 0, "negative user or item count");
  check_csr(indptr, n_users, size(), "interactions");
  for (std::int32_t item : items)
    if (item < 0 || item >= n_items) check(false, "interactions: item id " + std::to_string(item) + " out of range");
  check_optional(weights, size(), "weights");
  check_optional(timestamps, size(), "timestamps");
  check_optional(events, size(), "events");
  check_optional(sessions, size(), "sessions");
  check_optional(positions, size(), "positions");
  for (const auto& column : context) {
    const std::int64_t n = static_cast<std::int64_t>(column.categorical ? column.codes.size() : column.values.size());
    check(n == size(), "context column '" + column.name + "' has the wrong number of entries");
    if (column.categorical)
      for (std::int32_t code : column.codes)
        if (code < -1 || code >= column.vocab.size())
          check(false, "context column '" + column.name + "': code out of range");
    if (!column.categorical)
      for (float value : column.values)
        if (std::isinf(value)) check(false, "context column '" + column.name + "': infinite value");
  }
}

void Dataset::validate() const {
  check(interactions.n_users == users.size(), "interactions user count differs from the user id map");
  check(interactions.n_items == items.size(), "interactions item count differs from the item id map");
  interactions.validate();
  check(event_signal.size() == event_names.size(), "event signal table does not match the event names");
  const auto n_events = static_cast<std::int16_t>(event_names.size());
  for (std::int16_t code : interactions.events)
    if (code < 0 || code >= n_events) check(false, "event code " + std::to_string(code) + " out of range");
  for (std::int32_t s : interactions.sessions)
    if (s < kNoSession || s >= sessions.size()) check(false, "session code out of range");
  check_attributes(user_attributes, n_users(), "user");
  check_attributes(item_attributes, n_items(), "item");
  if (friends.neighbors.empty() && friends.indptr.size() <= 1) return;
  check_csr(friends.indptr, n_users(), friends.edges(), "friends");
  for (std::int32_t v : friends.neighbors)
    if (v < 0 || v >= n_users()) check(false, "friends: user id out of range");
}

const StringColumn* Attributes::find_string(std::string_view name) const {
  for (const auto& column : strings)
    if (column.name == name) return &column;
  return nullptr;
}

const NumericColumn* Attributes::find_number(std::string_view name) const {
  for (const auto& column : numbers)
    if (column.name == name) return &column;
  return nullptr;
}

std::string_view Attributes::string_value(std::string_view column, std::int32_t row) const {
  const StringColumn* found = find_string(column);
  if (found == nullptr || row < 0 || row >= static_cast<std::int32_t>(found->values.size())) return {};
  return found->values[row];
}

}  // namespace segue
