// DatasetBuilder: what every importer writes into. It interns ids, checks event
// names against the signal table, collects side data, and builds the CSR form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"
#include "data/signal.h"

namespace segue {

class DatasetBuilder {
 public:
  explicit DatasetBuilder(SignalTable signal = SignalTable::defaults());

  std::int32_t user(std::string_view id) { return dataset_.users.intern(id); }
  std::int32_t item(std::string_view id) { return dataset_.items.intern(id); }
  // With a precomputed IdMap::hash (batch import: see IdMap::prefetch).
  std::int32_t user(std::string_view id, std::uint64_t hash) { return dataset_.users.intern(id, hash); }
  std::int32_t item(std::string_view id, std::uint64_t hash) { return dataset_.items.intern(id, hash); }
  std::int32_t session(std::string_view id) { return dataset_.sessions.intern(id); }
  const IdMap& users() const { return dataset_.users; }
  const IdMap& items() const { return dataset_.items; }
  // Code of a known event type, or -1 if the signal table does not name it
  // (importers turn -1 into an InputError naming the line).
  std::int16_t event_code(std::string_view name);

  struct Event {
    std::int32_t user = 0;
    std::int32_t item = 0;
    float weight = 1.0f;
    std::int64_t time = kNoTime;
    std::int16_t event = 0;
    std::int32_t session = kNoSession;
    std::int32_t position = kNoPosition;
  };
  void add(const Event& event);
  std::int64_t events() const { return static_cast<std::int64_t>(users_.size()); }

  // Per-event context of the last added event. A column is created on first use.
  int context_column(std::string_view name, bool categorical);
  void set_context(int column, std::string_view category);
  void set_context(int column, float value);

  // Side data; columns are created on first use, rows default to "" / NaN.
  void set_user_string(std::string_view column, std::int32_t user, std::string_view value);
  void set_item_string(std::string_view column, std::int32_t item, std::string_view value);
  void set_item_number(std::string_view column, std::int32_t item, float value);
  void set_user_number(std::string_view column, std::int32_t user, float value);
  void add_item_tag(std::int32_t item, std::string_view tag, float count = 1.0f);
  void add_friend(std::int32_t user, std::int32_t other);  // undirected; duplicates merged

  // Builds the dataset: events grouped by user (stable: each user's events stay
  // in import order), optional arrays dropped when no event set them.
  Dataset finish(std::string source);

 private:
  struct RowData {
    std::vector<StringColumn> strings;
    std::vector<NumericColumn> numbers;
  };
  static void set_string(RowData& rows, std::string_view column, std::int32_t row, std::string_view value);
  static void set_number(RowData& rows, std::string_view column, std::int32_t row, float value);
  static void finish_rows(RowData& rows, std::int32_t n, Attributes& out);

  Dataset dataset_;
  SignalTable signal_;
  std::vector<std::int32_t> users_;
  std::vector<std::int32_t> items_;
  std::vector<float> weights_;
  std::vector<std::int64_t> times_;
  std::vector<std::int16_t> events_;
  std::vector<std::int32_t> sessions_;
  std::vector<std::int32_t> positions_;
  std::vector<ContextColumn> context_;
  RowData user_rows_;
  RowData item_rows_;
  std::vector<std::int32_t> tag_items_;
  std::vector<std::int32_t> tag_tokens_;
  std::vector<float> tag_counts_;
  IdMap tag_vocab_;
  std::vector<std::pair<std::int32_t, std::int32_t>> friend_pairs_;
};

}  // namespace segue
