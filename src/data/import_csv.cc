// Generic CSV/TSV importer: one event per line, columns chosen by name
// (--user-col, --item-col, --time-col, ...). The hot path of `segue import`.
#include <algorithm>
#include <cmath>
#include <limits>

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
  bool same_user = false;  // as the line before: logs are mostly grouped by user
  std::uint64_t user_hash = 0, item_hash = 0;
  DatasetBuilder::Event event;
  std::vector<std::string> categories;  // per context column (numeric ones unused)
  std::vector<float> numbers;           // per context column (categorical ones unused)
};

// Parses and checks every field of the current line; interns nothing but the
// session, so a bad line leaves no orphan user or item behind.
void parse_event(const CsvReader& reader, const ColumnIndex& c, DatasetBuilder& builder, PendingEvent& out,
                 std::string& last_user) {
  DatasetBuilder::Event& event = out.event;
  event = DatasetBuilder::Event{};
  const std::string_view user = reader.id(c.user);
  const std::string_view item = reader.id(c.item);
  if (c.weight >= 0) event.weight = reader.weight(c.weight);
  if (c.time >= 0) {
    const std::string_view text = reader.text(c.time);
    if (!text.empty() && !parse_timestamp(text, event.time))
      throw reader.error(c.time, "expected unix seconds or an ISO-8601 date/time, got '" + std::string(text) + "'");
    // Unix times past the year 9999 are almost always milliseconds or microseconds: refused rather than stored
    // as dates millennia away, which would silently break hour-of-day context and temporal splits.
    constexpr std::int64_t kYear0 = -62167219200, kYear10000 = 253402300800;  // 0000-01-01, 10000-01-01 UTC
    if (!text.empty() && (event.time < kYear0 || event.time >= kYear10000))
      throw reader.error(c.time, "unix time " + std::string(text) +
                                     " is outside the years 0000-9999: milliseconds or microseconds? the column "
                                     "must hold seconds (divide by 1000) or an ISO-8601 date/time");
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
    // A finite double beyond float range (1e39) would be stored as infinity.
    if (std::fabs(value) > std::numeric_limits<float>::max())
      throw reader.error(c.context[k], "number out of float range: '" + std::string(text) + "'");
    out.numbers[k] = static_cast<float>(value);
  }
  if (c.session >= 0) {
    const std::string_view session = reader.text(c.session);
    if (!session.empty()) event.session = builder.session(session);
  }
  out.same_user = user == last_user;
  if (!out.same_user) {
    out.user.assign(user);
    last_user.assign(user);
  }
  out.item.assign(item);
}

// Interns a batch of lines with their hash-table misses overlapped: a software
// pipeline that prefetches the table slots kSlotAhead lines ahead and the
// candidate keys' bytes kKeyAhead lines ahead of the line being interned (a
// core keeps only ~20 misses in flight, so prefetching a whole batch at once
// would drop most of them).
void add_batch(std::vector<PendingEvent>& batch, std::size_t count, const ColumnIndex& c, DatasetBuilder& builder,
               std::int32_t& last_user_id) {
  constexpr std::size_t kSlotAhead = 12, kKeyAhead = 6;
  const IdMap& users = builder.users();
  const IdMap& items = builder.items();
  for (std::size_t k = 0; k < count; ++k) {
    if (!batch[k].same_user) batch[k].user_hash = IdMap::hash(batch[k].user);
    batch[k].item_hash = IdMap::hash(batch[k].item);
  }
  for (std::size_t k = 0; k < std::min(count, kSlotAhead); ++k) {
    if (!batch[k].same_user) users.prefetch(batch[k].user_hash);
    items.prefetch(batch[k].item_hash);
  }
  for (std::size_t k = 0; k < count; ++k) {
    if (k + kSlotAhead < count) {
      if (!batch[k + kSlotAhead].same_user) users.prefetch(batch[k + kSlotAhead].user_hash);
      items.prefetch(batch[k + kSlotAhead].item_hash);
    }
    if (k + kKeyAhead < count) {
      if (!batch[k + kKeyAhead].same_user) users.prefetch_key(batch[k + kKeyAhead].user_hash);
      items.prefetch_key(batch[k + kKeyAhead].item_hash);
    }
    PendingEvent& p = batch[k];
    p.event.user = p.same_user ? last_user_id : builder.user(p.user, p.user_hash);
    last_user_id = p.event.user;
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
  CsvColumns names = options.columns;
  if (names.detect_optional) {
    auto detect = [&](std::string& name, const char* column) {
      if (name.empty() && reader.column(column) >= 0) name = column;
    };
    detect(names.weight, "weight");
    detect(names.time, "timestamp");
    detect(names.event, "event");
    detect(names.session, "session");
    detect(names.position, "position");
  }
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
  std::string last_user;          // the user id text of the last good line
  std::int32_t last_user_id = -1;  // and its id, once interned
  while (true) {
    try {
      if (!reader.next()) break;
      reader.expect_width();
      parse_event(reader, c, builder, batch[pending], last_user);
      if (++pending == kBatch) {
        add_batch(batch, pending, c, builder, last_user_id);
        pending = 0;
      }
    } catch (const InputError& error) {
      issues.report(error);  // throws under --on-error fail
      // Nothing after an unclosed quote can be trusted.
      if (error.reason().find("unterminated quoted field") != std::string::npos) break;
    }
    progress.update(reader.offset());
  }
  add_batch(batch, pending, c, builder, last_user_id);
  if (builder.events() == 0 && issues.skipped() == 0)
    throw InputError(path, 2, "", "no data lines after the header");
  return builder.finish("csv:" + path);
}

}  // namespace segue
