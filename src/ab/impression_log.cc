#include "ab/impression_log.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "data/csv_reader.h"
#include "data/error.h"
#include "util/rng.h"

namespace segue::ab {
namespace {

std::uint64_t hash_text(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : text) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return splitmix64_mix(h);
}

bool flag(const CsvReader& reader, int column) {
  const std::int64_t value = reader.integer(column);
  if (value != 0 && value != 1) throw reader.error(column, "expected 0 or 1, got " + std::to_string(value));
  return value == 1;
}

}  // namespace

ImpressionLog read_impression_log(const std::string& path, const LogOptions& options) {
  CsvReader reader(path);
  const char* option = options.pre_period ? "--pre" : "--log";
  const int user = reader.require_column("user_id", option);
  const int page = reader.require_column("page_id", option);
  const int timestamp = reader.require_column("timestamp", option);
  const int streamed = reader.require_column("streamed", option);
  const int skipped = reader.require_column("skipped", option);
  const int liked = reader.require_column("liked", option);
  const int experiment = options.pre_period ? -1 : reader.require_column("experiment", option);
  const int arm = options.pre_period ? -1 : reader.require_column("arm", option);

  ImpressionLog log;
  log.path = path;
  log.experiment = options.experiment;
  log.arms = options.arms;
  std::unordered_map<std::string, std::int32_t> listener_index;
  std::vector<std::int32_t> listener_arm;
  std::size_t first_experiment_line = 0;
  while (reader.next()) {
    reader.expect_width();
    Impression row;
    if (!options.pre_period) {
      const std::string_view name = reader.text(experiment);
      const std::string_view arm_name = reader.text(arm);
      if (name.empty() || arm_name.empty()) {
        ++log.other_rows;  // a listener outside every experiment
        continue;
      }
      if (log.experiment.empty()) {
        log.experiment = std::string(name);
        first_experiment_line = reader.line();
      } else if (name != log.experiment) {
        if (options.experiment.empty())
          throw UsageError("--log: '" + path + "' holds experiments '" + log.experiment + "' (line " +
                           std::to_string(first_experiment_line) + ") and '" + std::string(name) + "' (line " +
                           std::to_string(reader.line()) + "): choose one with --experiment");
        ++log.other_rows;
        continue;
      }
      const auto found = std::find(log.arms.begin(), log.arms.end(), arm_name);
      if (found == log.arms.end()) {
        if (!options.arms.empty())
          throw reader.error(arm, "arm '" + std::string(arm_name) + "' is not an arm of experiment '" +
                                      log.experiment + "'");
        log.arms.emplace_back(arm_name);
        row.arm = static_cast<std::int32_t>(log.arms.size() - 1);
      } else {
        row.arm = static_cast<std::int32_t>(found - log.arms.begin());
      }
    }
    const std::string id(reader.id(user));
    const auto [it, added] = listener_index.emplace(id, static_cast<std::int32_t>(log.listener_ids.size()));
    if (added) {
      log.listener_ids.push_back(id);
      listener_arm.push_back(row.arm);
    } else if (listener_arm[static_cast<std::size_t>(it->second)] != row.arm) {
      throw reader.error(arm, "listener '" + id + "' is in arm '" + log.arms[listener_arm[it->second]] +
                                  "' on an earlier line and in '" + log.arms[row.arm] + "' here");
    }
    row.listener = it->second;
    row.timestamp = reader.integer(timestamp);
    row.page = hash_text(reader.id(page));
    row.streamed = flag(reader, streamed);
    row.skipped = flag(reader, skipped);
    row.liked = flag(reader, liked);
    log.rows.push_back(row);
  }
  if (log.rows.empty()) {
    const std::string what = options.pre_period || log.other_rows == 0
                                 ? "no impressions (only a header)"
                                 : "no impressions of " + (options.experiment.empty() ? std::string("any experiment")
                                                                                      : "experiment '" + options.experiment + "'");
    throw InputError(path, 0, "", what);
  }
  return log;
}

AbData listener_totals(const ImpressionLog& log, std::int64_t until) {
  std::vector<ListenerTotals> all(log.listener_ids.size());
  std::vector<bool> seen(log.listener_ids.size(), false);
  // A page's cards share its page_id; a page counts once per listener.
  std::unordered_set<std::uint64_t> pages;
  for (const Impression& row : log.rows) {
    if (row.timestamp > until) continue;
    ListenerTotals& t = all[static_cast<std::size_t>(row.listener)];
    seen[static_cast<std::size_t>(row.listener)] = true;
    t.arm = row.arm;
    ++t.impressions;
    t.streams += row.streamed;
    t.skips += row.skipped;
    t.likes += row.liked;
    if (pages.insert(splitmix64_mix(row.page ^ static_cast<std::uint64_t>(row.listener))).second) ++t.pages;
  }
  AbData data;
  data.arms = log.arms;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (!seen[i]) continue;
    data.listener_ids.push_back(log.listener_ids[i]);
    data.listeners.push_back(all[i]);
  }
  return data;
}

std::vector<ListenerTotals> align_pre_period(const AbData& data, const ImpressionLog& pre) {
  const AbData totals = listener_totals(pre);
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < totals.listener_ids.size(); ++i) index.emplace(totals.listener_ids[i], i);
  std::vector<ListenerTotals> aligned(data.listeners.size());
  for (std::size_t i = 0; i < data.listener_ids.size(); ++i) {
    const auto it = index.find(data.listener_ids[i]);
    if (it != index.end()) aligned[i] = totals.listeners[it->second];
    aligned[i].arm = data.listeners[i].arm;
  }
  return aligned;
}

}  // namespace segue::ab
