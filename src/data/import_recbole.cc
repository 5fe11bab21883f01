// Importer for RecBole atomic files: NAME.inter (events) with optional NAME.item
// and NAME.user side data; tab-separated, header fields written `name:type`.
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "data/csv_reader.h"
#include "data/dataset_builder.h"
#include "data/importer.h"

namespace segue {
namespace {

namespace fs = std::filesystem;

enum class FieldType { kToken, kTokenSeq, kFloat, kFloatSeq };

struct Field {
  std::string name;
  FieldType type;
};

// RecBole files are plain TSV: no quoting (a '"' is an ordinary character).
CsvOptions recbole_csv() { return CsvOptions{'\t', true, false}; }

std::vector<Field> parse_header(const CsvReader& reader) {
  std::vector<Field> fields;
  for (const std::string& column : reader.header()) {
    const std::size_t colon = column.rfind(':');
    const std::string_view type = colon == std::string::npos ? std::string_view() : std::string_view(column).substr(colon + 1);
    Field field{column.substr(0, colon == std::string::npos ? column.size() : colon), FieldType::kToken};
    if (type == "token") {
      field.type = FieldType::kToken;
    } else if (type == "token_seq") {
      field.type = FieldType::kTokenSeq;
    } else if (type == "float") {
      field.type = FieldType::kFloat;
    } else if (type == "float_seq") {
      field.type = FieldType::kFloatSeq;
    } else {
      throw InputError(reader.path(), 1, column, "expected name:type with type token, token_seq, float or float_seq");
    }
    if (field.name.empty()) throw InputError(reader.path(), 1, column, "field has no name before ':'");
    for (const Field& other : fields)
      if (other.name == field.name) throw InputError(reader.path(), 1, column, "field '" + field.name + "' appears twice");
    fields.push_back(std::move(field));
  }
  return fields;
}

int find_field(const std::vector<Field>& fields, std::string_view name) {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return static_cast<int>(i);
  return -1;
}

int require_field(const CsvReader& reader, const std::vector<Field>& fields, std::string_view name) {
  const int index = find_field(fields, name);
  if (index < 0) throw InputError(reader.path(), 1, std::string(name), "required RecBole field is missing from the header");
  return index;
}

// Empty = missing (NaN); otherwise a finite number that fits a float.
float optional_float(const CsvReader& reader, int column) {
  if (reader.text(column).empty()) return std::numeric_limits<float>::quiet_NaN();
  const auto value = static_cast<float>(reader.number(column));
  if (!std::isfinite(value))
    throw reader.error(column, "number out of float range: '" + std::string(reader.text(column)) + "'");
  return value;
}

// RecBole writes timestamps as floats ("881250949.0"); whole seconds are kept.
std::int64_t read_time(const CsvReader& reader, int column) {
  const std::string_view text = reader.text(column);
  std::int64_t seconds = 0;
  if (text.empty()) return kNoTime;
  if (parse_int64(text, seconds)) return seconds;
  const double value = reader.number(column);
  if (std::fabs(value) >= 9.2e18) throw reader.error(column, "timestamp out of range: '" + std::string(text) + "'");
  return static_cast<std::int64_t>(std::floor(value));
}

std::int32_t read_position(const CsvReader& reader, int column) {
  const std::string_view text = reader.text(column);
  if (text.empty()) return kNoPosition;
  const double value = reader.number(column);
  if (value < 0 || value > std::numeric_limits<std::int32_t>::max() || value != std::floor(value))
    throw reader.error(column, "expected a whole position >= 0, got '" + std::string(text) + "'");
  return static_cast<std::int32_t>(value);
}

// Side files (.user, .item): one row per id, each id once.
void read_side_file(const std::string& path, bool items, DatasetBuilder& builder, IssueLog& issues) {
  CsvReader reader(path, recbole_csv());
  const std::vector<Field> fields = parse_header(reader);
  const int id = require_field(reader, fields, items ? "item_id" : "user_id");
  int token_seqs = 0;
  for (const Field& field : fields) token_seqs += field.type == FieldType::kTokenSeq;
  std::vector<float> values(fields.size());
  std::vector<std::uint8_t> seen;
  while (reader.next()) {
    try {
      reader.expect_width();
      const std::string_view key = reader.id(id);
      for (std::size_t c = 0; c < fields.size(); ++c)
        if (fields[c].type == FieldType::kFloat && static_cast<int>(c) != id)
          values[c] = optional_float(reader, static_cast<int>(c));
      const std::int32_t row = items ? builder.item(key) : builder.user(key);
      if (seen.size() <= static_cast<std::size_t>(row)) seen.resize(static_cast<std::size_t>(row) + 1, 0);
      if (seen[row] != 0) throw reader.error(id, "'" + std::string(key) + "' is listed twice");
      seen[row] = 1;
      for (std::size_t c = 0; c < fields.size(); ++c) {
        if (static_cast<int>(c) == id) continue;
        const std::string& name = fields[c].name;
        const std::string_view text = reader.field(c);
        if (fields[c].type == FieldType::kFloat) {
          if (std::isnan(values[c])) continue;
          if (items) builder.set_item_number(name, row, values[c]);
          if (!items) builder.set_user_number(name, row, values[c]);
          continue;
        }
        // Item token_seq fields become tags; with several of them each is also
        // kept verbatim, so which tokens came from which field is not lost.
        const bool tags = items && fields[c].type == FieldType::kTokenSeq;
        if (tags) {
          std::size_t start = 0;
          while (start < text.size()) {
            std::size_t end = text.find(' ', start);
            if (end == std::string_view::npos) end = text.size();
            if (end > start) builder.add_item_tag(row, text.substr(start, end - start));
            start = end + 1;
          }
        }
        if (text.empty() || (tags && token_seqs == 1)) continue;
        if (items) builder.set_item_string(name, row, text);
        if (!items) builder.set_user_string(name, row, text);
      }
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
}

struct InterLayout {
  int user = -1, item = -1, weight = -1, time = -1, event = -1, session = -1, position = -1;
  bool user_is_session = false;
  struct Context {
    int column;
    int context;
    bool categorical;
  };
  std::vector<Context> context;
};

// user_id and item_id are required (session-based RecBole sets such as diginetica
// have no user_id: there session_id stands for the user). weight is preferred to
// rating when both are present; the other one is kept as context.
InterLayout inter_layout(const CsvReader& reader, const std::vector<Field>& fields, DatasetBuilder& builder) {
  InterLayout layout;
  layout.user = find_field(fields, "user_id");
  if (layout.user < 0) layout.user = find_field(fields, "session_id");
  if (layout.user < 0) layout.user = require_field(reader, fields, "user_id");
  layout.item = require_field(reader, fields, "item_id");
  layout.weight = find_field(fields, "weight");
  if (layout.weight < 0) layout.weight = find_field(fields, "rating");
  layout.time = find_field(fields, "timestamp");
  layout.event = find_field(fields, "event");
  const int session = find_field(fields, "session_id");
  layout.user_is_session = session == layout.user;
  if (!layout.user_is_session) layout.session = session;
  layout.position = find_field(fields, "position");
  for (std::size_t c = 0; c < fields.size(); ++c) {
    const int i = static_cast<int>(c);
    if (i == layout.user || i == layout.item || i == layout.weight || i == layout.time || i == layout.event ||
        i == layout.session || i == layout.position)
      continue;
    // float -> numeric; token, token_seq and float_seq -> categorical (the raw text).
    const bool categorical = fields[c].type != FieldType::kFloat;
    layout.context.push_back({i, builder.context_column(fields[c].name, categorical), categorical});
  }
  return layout;
}

void read_inter(const std::string& path, DatasetBuilder& builder, IssueLog& issues) {
  CsvReader reader(path, recbole_csv());
  const std::vector<Field> fields = parse_header(reader);
  const InterLayout layout = inter_layout(reader, fields, builder);
  std::vector<float> values(layout.context.size());
  while (reader.next()) {
    try {
      reader.expect_width();
      const std::string_view user = reader.id(layout.user);
      const std::string_view item = reader.id(layout.item);
      DatasetBuilder::Event event;
      if (layout.weight >= 0) event.weight = reader.weight(layout.weight);
      if (layout.time >= 0) event.time = read_time(reader, layout.time);
      if (layout.position >= 0) event.position = read_position(reader, layout.position);
      if (layout.event >= 0) {
        const std::string_view name = reader.text(layout.event);
        if (!name.empty()) {
          event.event = builder.event_code(name);
          if (event.event < 0)
            throw reader.error(layout.event, "unknown event type '" + std::string(name) +
                                                 "' (not in the signal table; add it with --signal)");
        }
      }
      for (std::size_t k = 0; k < layout.context.size(); ++k)
        if (!layout.context[k].categorical) values[k] = optional_float(reader, layout.context[k].column);
      event.user = builder.user(user);
      event.item = builder.item(item);
      if (layout.user_is_session) event.session = builder.session(user);
      if (layout.session >= 0 && !reader.text(layout.session).empty())
        event.session = builder.session(reader.text(layout.session));
      builder.add(event);
      for (std::size_t k = 0; k < layout.context.size(); ++k) {
        const InterLayout::Context& column = layout.context[k];
        if (column.categorical) {
          builder.set_context(column.context, reader.text(column.column));
        } else {
          builder.set_context(column.context, values[k]);
        }
      }
    } catch (const InputError& error) {
      issues.report(error);
    }
  }
}

bool ends_with(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// NAME.ext or NAME.ext.gz beside the .inter file, or "" when neither exists.
std::string companion(const fs::path& dir, const std::string& name, const char* ext) {
  std::error_code ec;
  for (const std::string& candidate : {name + ext, name + ext + ".gz"}) {
    const fs::path path = dir / candidate;
    if (fs::is_regular_file(path, ec)) return path.string();
  }
  return {};
}

// The .inter file of `path`: the path itself, or the one *.inter in a directory.
std::string find_inter(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, 0, "", "no such file or directory");
  if (!fs::is_directory(path, ec)) {
    if (!ends_with(path, ".inter") && !ends_with(path, ".inter.gz"))
      throw InputError(path, 0, "", "expected a RecBole NAME.inter file or a directory holding one");
    return path;
  }
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    const std::string file = entry.path().string();
    if (ends_with(file, ".inter") || ends_with(file, ".inter.gz")) found.push_back(file);
  }
  if (found.empty()) throw InputError(path, 0, "", "no NAME.inter file in this directory");
  if (found.size() > 1)
    throw InputError(path, 0, "", "several .inter files in this directory; pass the one to import");
  return found.front();
}

}  // namespace

// Side files are read first, so that ids follow their row order (an exported
// dataset comes back with the same dense ids) and side-only rows are kept.
Dataset import_recbole(const std::string& path, const ImportOptions& options, IssueLog& issues) {
  const std::string inter = find_inter(path);
  const fs::path file(inter);
  std::string name = file.filename().string();
  name.resize(name.size() - (ends_with(name, ".gz") ? std::string_view(".inter.gz") : std::string_view(".inter")).size());
  const std::string user_file = companion(file.parent_path(), name, ".user");
  const std::string item_file = companion(file.parent_path(), name, ".item");
  DatasetBuilder builder(options.signal);
  if (!user_file.empty()) read_side_file(user_file, false, builder, issues);
  if (options.progress) options.progress(0.1);
  if (!item_file.empty()) read_side_file(item_file, true, builder, issues);
  if (options.progress) options.progress(0.2);
  read_inter(inter, builder, issues);
  if (options.progress) options.progress(1.0);
  return builder.finish("recbole:" + inter);
}

}  // namespace segue
