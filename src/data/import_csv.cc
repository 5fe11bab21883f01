// Generic CSV/TSV importer: one event per line, columns chosen by name
// (--user-col, --item-col, --time-col, ...). The hot path of `segue import`.
#include <cmath>

#include "data/csv_reader.h"
#include "data/dataset_builder.h"
#include "data/import_progress.h"
#include "data/importer.h"
#include "data/timestamp.h"

namespace segue {
namespace {

struct ColumnIndex {
  int user = -1, item = -1, time = -1, weight = -1, event = -1, session = -1, position = -1;
  std::vector<int> context;          // csv column of each context field
  std::vector<int> context_builder;  // builder context column
  std::vector<bool> context_numeric;
};

int optional_column(const CsvReader& reader, const std::string& name, const char* option) {
  return name.empty() ? -1 : reader.require_column(name, option);
}

// One parsed, validated line waiting to be interned. Keys are copied because a
// quoted field lives in the reader's scratch buffer, which the next line reuses;
// the strings keep their capacity, so a batch allocates nothing once warm.
struct PendingEvent {
  std::string user, item;
  std::uint64_t user_hash = 0, item_hash = 0;
  DatasetBuilder::Event event;
  std::vector<std::string> categories;  // per context column (numeric ones unused)
  std::vector<float> numbers;           // per context column (categorical ones unused)
};

// Parses and checks every field of the current line; interns nothing but the
// session, so a bad line leaves no orphan user or item behind.
void parse_event(const CsvReader& reader, const ColumnIndex& c, DatasetBuilder& builder, PendingEvent& out) {
  DatasetBuilder::Event& event = out.event;
  event = DatasetBuilder::Event{};
  const std::string_view user = reader.id(c.user);
  const std::string_view item = reader.id(c.item);
  if (c.weight >= 0) event.weight = reader.weight(c.weight);
  if (c.time >= 0) {
    const std::string_view text = reader.text(c.time);
    if (!text.empty() && !parse_timestamp(text, event.time))
      throw reader.error(c.time, "expected unix seconds or an ISO-8601 date/time, got '" + std::string(text) + "'");
  }
  if (c.event >= 0) {
    const std::string_view name = reader.id(c.event);
    event.event = builder.event_code(name);
    if (event.event < 0)
      throw reader.error(c.event, "unknown event type '" + std::string(name) +
                                      "' (declare it with --signal " + std::string(name) + "=VALUE)");
  }
  if (c.position >= 0) {
    const std::string_view text = reader.text(c.position);
    if (!text.empty()) {
      const std::int64_t position = reader.integer(c.position);
      if (position < 0 || position > INT32_MAX) throw reader.error(c.position, "position out of range");
      event.position = static_cast<std::int32_t>(position);
    }
  }
  out.categories.resize(c.context.size());
  out.numbers.resize(c.context.size());
  for (std::size_t k = 0; k < c.context.size(); ++k) {
    const std::string_view text = reader.text(c.context[k]);
    if (!c.context_numeric[k]) {
      out.categories[k].assign(text);
      continue;
    }
    double value = std::nan("");
    if (!text.empty() && !parse_double(text, value))
      throw reader.error(c.context[k], "expected a number (or an empty field), got '" + std::string(text) + "'");
    out.numbers[k] = static_cast<float>(value);
  }
  if (c.session >= 0) {
    const std::string_view session = reader.text(c.session);
    if (!session.empty()) event.session = builder.session(session);
  }
  out.user.assign(user);
  out.item.assign(item);
}

// Interns a batch of lines with their hash-table misses overlapped: hash and
// prefetch every slot, prefetch every candidate key, then intern in order.
void add_batch(std::vector<PendingEvent>& batch, std::size_t count, const ColumnIndex& c, DatasetBuilder& builder) {
  for (std::size_t k = 0; k < count; ++k) {
    PendingEvent& p = batch[k];
    p.user_hash = IdMap::hash(p.user);
    p.item_hash = IdMap::hash(p.item);
    builder.users().prefetch(p.user_hash);
    builder.items().prefetch(p.item_hash);
  }
  for (std::size_t k = 0; k < count; ++k) {
    builder.users().prefetch_key(batch[k].user_hash);
    builder.items().prefetch_key(batch[k].item_hash);
  }
  for (std::size_t k = 0; k < count; ++k) {
    PendingEvent& p = batch[k];
    p.event.user = builder.user(p.user, p.user_hash);
    p.event.item = builder.item(p.item, p.item_hash);
    builder.add(p.event);
    for (std::size_t j = 0; j < c.context.size(); ++j) {
      if (c.context_numeric[j]) {
        builder.set_context(c.context_builder[j], p.numbers[j]);
      } else {
        builder.set_context(c.context_builder[j], std::string_view(p.categories[j]));
      }
    }
  }
}

}  // namespace

Dataset import_csv(const std::string& path, const ImportOptions& options, IssueLog& issues) {
  CsvOptions csv;
  csv.delimiter = options.delimiter;
  CsvReader reader(path, csv);
  const CsvColumns& names = options.columns;
  ColumnIndex c;
  c.user = reader.require_column(names.user, "--user-col");
  c.item = reader.require_column(names.item, "--item-col");
  c.time = optional_column(reader, names.time, "--time-col");
  c.weight = optional_column(reader, names.weight, "--weight-col");
  c.event = optional_column(reader, names.event, "--event-col");
  c.session = optional_column(reader, names.session, "--session-col");
  c.position = optional_column(reader, names.position, "--position-col");

  DatasetBuilder builder(options.signal);
  for (const std::string& spec : names.context) {
    // "name" is a categorical field (device, context_type); "name:num" a numeric one (hour).
    const bool numeric = spec.size() > 4 && spec.compare(spec.size() - 4, 4, ":num") == 0;
    const std::string name = numeric ? spec.substr(0, spec.size() - 4) : spec;
    c.context.push_back(reader.require_column(name, "--context-col"));
    c.context_numeric.push_back(numeric);
    c.context_builder.push_back(builder.context_column(name, !numeric));
  }

  ImportProgress progress(options.progress, reader.bytes());
  constexpr std::size_t kBatch = 64;
  std::vector<PendingEvent> batch(kBatch);
  std::size_t pending = 0;
  while (true) {
    try {
      if (!reader.next()) break;
      reader.expect_width();
      parse_event(reader, c, builder, batch[pending]);
      if (++pending == kBatch) {
        add_batch(batch, pending, c, builder);
        pending = 0;
      }
    } catch (const InputError& error) {
      issues.report(error);  // throws under --on-error fail
      // Nothing after an unclosed quote can be trusted.
      if (error.reason().find("unterminated quoted field") != std::string::npos) break;
    }
    progress.update(reader.offset());
  }
  add_batch(batch, pending, c, builder);
  if (builder.events() == 0 && issues.skipped() == 0)
    throw InputError(path, 2, "", "no data lines after the header");
  return builder.finish("csv:" + path);
}

}  // namespace segue
