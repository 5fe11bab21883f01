// segue export DIR --format users: the users CSV for `--users` (data/export_users.h).
#include "data/export_users.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "data/csv_writer.h"

namespace segue {
namespace {

void put_number(std::string& out, float value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(value));
  out.append(buffer);
}

std::string without_bars(std::string_view value) {
  std::string out(value);
  for (char& c : out)
    if (c == '|') c = '/';
  return out;
}

}  // namespace

ExportUsersReport export_users_csv(const Dataset& dataset, const std::string& path) {
  ExportUsersReport report;
  report.users = dataset.n_users();
  const Attributes& attrs = dataset.user_attributes;
  const SocialGraph& friends = dataset.friends;
  const bool has_tags = !attrs.tags.tokens.empty();
  const bool has_friends = friends.edges() > 0;

  report.columns.push_back("user_id");
  for (const StringColumn& c : attrs.strings) report.columns.push_back(c.name);
  for (const NumericColumn& c : attrs.numbers) report.columns.push_back(c.name);
  if (has_tags) report.columns.push_back("tags");
  if (has_friends) report.columns.push_back("friends");

  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary);
    if (!file) throw std::runtime_error("export: cannot write '" + tmp + "'");
    std::string line;
    for (std::size_t c = 0; c < report.columns.size(); ++c) {
      if (c > 0) line.push_back(',');
      append_csv_field(line, report.columns[c]);
    }
    line.push_back('\n');
    file << line;
    std::string list;
    for (std::int32_t u = 0; u < dataset.n_users(); ++u) {
      const auto at = static_cast<std::size_t>(u);
      line.clear();
      bool any = false;
      append_csv_field(line, dataset.users.name(u));
      for (const StringColumn& c : attrs.strings) {
        line.push_back(',');
        if (at < c.values.size() && !c.values[at].empty()) {
          append_csv_field(line, without_bars(c.values[at]));
          any = true;
        }
      }
      for (const NumericColumn& c : attrs.numbers) {
        line.push_back(',');
        if (at < c.values.size() && !std::isnan(c.values[at])) {
          put_number(line, c.values[at]);
          any = true;
        }
      }
      if (has_tags) {
        line.push_back(',');
        list.clear();
        if (static_cast<std::int64_t>(at) < attrs.tags.rows())
          for (std::int64_t k = attrs.tags.indptr[at]; k < attrs.tags.indptr[at + 1]; ++k) {
            if (!list.empty()) list.push_back('|');
            list += without_bars(attrs.tags.vocab.name(attrs.tags.tokens[static_cast<std::size_t>(k)]));
            const float count = attrs.tags.counts.empty() ? 1.0f : attrs.tags.counts[static_cast<std::size_t>(k)];
            if (count != 1.0f && std::isfinite(count) && count > 0) {
              list.push_back(':');
              put_number(list, count);
            }
          }
        if (!list.empty()) any = true;
        append_csv_field(line, list);
      }
      if (has_friends) {
        line.push_back(',');
        list.clear();
        if (at + 1 < friends.indptr.size())
          for (std::int64_t k = friends.indptr[at]; k < friends.indptr[at + 1]; ++k) {
            const std::string_view id = dataset.users.name(friends.neighbors[static_cast<std::size_t>(k)]);
            if (id.find('|') != std::string_view::npos) {
              ++report.skipped_friends;
              continue;
            }
            if (!list.empty()) list.push_back('|');
            list.append(id);
            ++report.friend_links;
          }
        if (!list.empty()) any = true;
        append_csv_field(line, list);
      }
      if (!any) {
        ++report.empty_users;
        continue;
      }
      line.push_back('\n');
      file << line;
      ++report.rows;
    }
    if (!file.flush()) throw std::runtime_error("export: cannot write '" + tmp + "'");
  }
  std::filesystem::rename(tmp, path);
  return report;
}

}  // namespace segue
