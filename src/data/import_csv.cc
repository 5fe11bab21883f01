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

void read_event(const CsvReader& reader, const ColumnIndex& c, DatasetBuilder& builder) {
  DatasetBuilder::Event event;
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
  // Ids are interned only once the whole line is known to be good, so a
  // skipped line leaves no orphan user or item behind.
  if (c.session >= 0) {
    const std::string_view session = reader.text(c.session);
    if (!session.empty()) event.session = builder.session(session);
  }
  for (std::size_t k = 0; k < c.context.size(); ++k) {
    if (!c.context_numeric[k]) continue;
    const std::string_view text = reader.text(c.context[k]);
    double value = 0;
    if (!text.empty() && !parse_double(text, value))
      throw reader.error(c.context[k], "expected a number (or an empty field), got '" + std::string(text) + "'");
  }
  event.user = builder.user(user);
  event.item = builder.item(item);
  builder.add(event);
  for (std::size_t k = 0; k < c.context.size(); ++k) {
    const std::string_view text = reader.text(c.context[k]);
    if (c.context_numeric[k]) {
      double value = std::nan("");
      if (!text.empty()) parse_double(text, value);  // checked above
      builder.set_context(c.context_builder[k], static_cast<float>(value));
    } else {
      builder.set_context(c.context_builder[k], text);
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
  while (true) {
    try {
      if (!reader.next()) break;
      reader.expect_width();
      read_event(reader, c, builder);
    } catch (const InputError& error) {
      if (error.reason().find("unterminated quoted field") != std::string::npos) {
        issues.report(error);
        break;  // nothing after an unclosed quote can be trusted
      }
      issues.report(error);
    }
    progress.update(reader.offset());
  }
  if (builder.events() == 0 && issues.skipped() == 0)
    throw InputError(path, 2, "", "no data lines after the header");
  return builder.finish("csv:" + path);
}

}  // namespace segue
