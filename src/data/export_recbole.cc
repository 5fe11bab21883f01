// Writes RecBole atomic files (.inter, .item, .user) from a Dataset; see
// export_recbole.h for the field layout and what is rejected or changed.
#include "data/export_recbole.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "data/error.h"
#include "util/atomic_file.h"

namespace segue {
namespace {

namespace fs = std::filesystem;

// Field names import_recbole gives a meaning of their own in .inter ("rating" too,
// unless a weight field is written: then a "rating" field reads back as context).
constexpr const char* kReservedInter[] = {"user_id", "item_id", "weight", "timestamp", "event", "session_id", "position"};

// Appends `value` as one field, rejecting what an unquoted TSV cannot hold.
void append_text(std::string& line, std::string_view value, const AtomicFile& file, std::string_view column,
                 std::string_view row) {
  if (value.find_first_of("\t\n\r") != std::string_view::npos)
    throw std::invalid_argument(file.path() + ": column '" + std::string(column) + "' of '" + std::string(row) +
                                "' holds a tab or line break, which RecBole files cannot hold");
  line.append(value);
}

void append_id(std::string& line, std::string_view id, const AtomicFile& file, std::string_view column) {
  if (id.empty()) throw std::invalid_argument(file.path() + ": column '" + std::string(column) + "' has an empty id");
  append_text(line, id, file, column, id);
}

// Shortest text that reads back as the same float; NaN (missing) is an empty field.
void append_float(std::string& line, float value) {
  if (std::isnan(value)) return;
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  line.append(buffer, result.ptr);
}

void append_int(std::string& line, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  line.append(buffer, result.ptr);
}

void check_column_name(const std::string& name, const AtomicFile& file) {
  if (name.empty() || name.find_first_of("\t\n\r") != std::string::npos)
    throw std::invalid_argument(file.path() + ": column name '" + name + "' is empty or holds a tab or line break");
}

void check_not_reserved(const std::string& name, const std::vector<std::string>& taken, const AtomicFile& file) {
  for (const std::string& other : taken)
    if (other == name)
      throw std::invalid_argument(file.path() + ": column '" + name +
                                  "' clashes with a field of the same name RecBole files already use");
}

void write_inter(const Dataset& dataset, AtomicFile& file) {
  const Interactions& x = dataset.interactions;
  std::vector<std::string> taken(std::begin(kReservedInter), std::end(kReservedInter));
  if (x.weights.empty()) taken.emplace_back("rating");
  std::string line = "user_id:token\titem_id:token";
  if (!x.weights.empty()) line.append("\tweight:float");
  if (!x.timestamps.empty()) line.append("\ttimestamp:float");
  if (!x.events.empty()) line.append("\tevent:token");
  if (!x.sessions.empty()) line.append("\tsession_id:token");
  if (!x.positions.empty()) line.append("\tposition:float");
  for (const ContextColumn& column : x.context) {
    check_column_name(column.name, file);
    check_not_reserved(column.name, taken, file);
    taken.push_back(column.name);
    line.append("\t").append(column.name).append(column.categorical ? ":token" : ":float");
  }
  line.push_back('\n');
  file.write(line);
  for (std::int32_t u = 0; u < x.n_users; ++u) {
    const std::string_view user = dataset.users.name(u);
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      line.clear();
      append_id(line, user, file, "user_id");
      line.push_back('\t');
      append_id(line, dataset.items.name(x.items[e]), file, "item_id");
      if (!x.weights.empty()) append_float(line.append("\t"), x.weights[e]);
      if (!x.timestamps.empty()) {
        line.push_back('\t');
        if (x.timestamps[e] != kNoTime) append_int(line, x.timestamps[e]);
      }
      if (!x.events.empty()) append_text(line.append("\t"), dataset.event_names[x.events[e]], file, "event", user);
      if (!x.sessions.empty()) {
        line.push_back('\t');
        if (x.sessions[e] != kNoSession) append_text(line, dataset.sessions.name(x.sessions[e]), file, "session_id", user);
      }
      if (!x.positions.empty()) {
        line.push_back('\t');
        if (x.positions[e] != kNoPosition) append_int(line, x.positions[e]);
      }
      for (const ContextColumn& column : x.context) {
        line.push_back('\t');
        if (!column.categorical) {
          append_float(line, column.values[e]);
        } else if (column.codes[e] >= 0) {
          append_text(line, column.vocab.name(column.codes[e]), file, column.name, user);
        }
      }
      line.push_back('\n');
      file.write(line);
    }
  }
  file.finish();
}

// Side rows for every id, in id order. Tags are written once each, spaces as '_'.
void write_side(const IdMap& ids, const Attributes& attributes, const char* id_field, AtomicFile& file) {
  std::vector<std::string> taken{id_field};
  const bool has_tags = !attributes.tags.tokens.empty();
  if (has_tags) taken.emplace_back("tags");
  std::string line = std::string(id_field) + ":token";
  for (const StringColumn& column : attributes.strings) {
    check_column_name(column.name, file);
    check_not_reserved(column.name, taken, file);
    taken.push_back(column.name);
    line.append("\t").append(column.name).append(":token");
  }
  for (const NumericColumn& column : attributes.numbers) {
    check_column_name(column.name, file);
    check_not_reserved(column.name, taken, file);
    taken.push_back(column.name);
    line.append("\t").append(column.name).append(":float");
  }
  if (has_tags) line.append("\ttags:token_seq");
  line.push_back('\n');
  file.write(line);
  const TokenLists& tags = attributes.tags;
  for (std::int32_t row = 0; row < ids.size(); ++row) {
    const std::string_view id = ids.name(row);
    line.clear();
    append_id(line, id, file, id_field);
    for (const StringColumn& column : attributes.strings) append_text(line.append("\t"), column.values[row], file, column.name, id);
    for (const NumericColumn& column : attributes.numbers) append_float(line.append("\t"), column.values[row]);
    if (has_tags) {
      line.push_back('\t');
      const std::size_t start = line.size();
      for (std::int64_t k = tags.indptr[row]; k < tags.indptr[row + 1]; ++k) {
        if (line.size() > start) line.push_back(' ');
        const std::size_t token_start = line.size();
        append_text(line, tags.vocab.name(tags.tokens[k]), file, "tags", id);
        for (std::size_t i = token_start; i < line.size(); ++i)
          if (line[i] == ' ') line[i] = '_';
      }
    }
    line.push_back('\n');
    file.write(line);
  }
  file.finish();
}

// True when importing NAME.inter alone would not give every item its own id back:
// an item without events, or items first used out of id order.
bool items_need_file(const Dataset& dataset) {
  std::vector<std::uint8_t> seen(static_cast<std::size_t>(dataset.n_items()), 0);
  std::int32_t next = 0;
  for (std::int32_t item : dataset.interactions.items) {
    if (seen[item] != 0) continue;
    if (item != next) return true;
    seen[item] = 1;
    ++next;
  }
  return next != dataset.n_items();
}

bool users_need_file(const Dataset& dataset) {
  for (std::int32_t u = 0; u < dataset.n_users(); ++u)
    if (dataset.interactions.count(u) == 0) return true;
  return false;
}

}  // namespace

void export_recbole(const Dataset& dataset, const std::string& dir, const std::string& name) {
  if (name.empty() || name.find_first_of("/\\\t\n\r") != std::string::npos || name == "." || name == "..")
    throw UsageError("--name: '" + name + "' cannot be a RecBole data set name (no slashes or line breaks)");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir + ": cannot create the output directory: " + ec.message());
  const fs::path base = fs::path(dir) / name;
  // The files of one export are all written before any is renamed into place (as a split's).
  AtomicFile inter(base.string() + ".inter");
  write_inter(dataset, inter);
  std::optional<AtomicFile> items, users;
  if (!dataset.item_attributes.empty() || items_need_file(dataset)) {
    items.emplace(base.string() + ".item");
    write_side(dataset.items, dataset.item_attributes, "item_id", *items);
  }
  if (!dataset.user_attributes.empty() || users_need_file(dataset)) {
    users.emplace(base.string() + ".user");
    write_side(dataset.users, dataset.user_attributes, "user_id", *users);
  }
  inter.publish();
  // A side file left by an earlier export would be read back with this one: replace or remove it.
  if (items) items->publish(); else fs::remove(base.string() + ".item", ec);
  if (users) users->publish(); else fs::remove(base.string() + ".user", ec);
}

}  // namespace segue
