#include "eval/test_set.h"

#include <fstream>

#include <algorithm>
#include <vector>

#include "data/csv_reader.h"

#include "data/importer.h"

namespace segue {

Dataset load_interactions_csv(const std::string& path, const SignalTable& signal, IssueLog& issues) {
  ImportOptions options;
  options.signal = signal;
  options.columns.detect_optional = true;  // one pass over the file, not a header probe first
  return import_csv(path, options, issues);
}

TestSet map_test_set(const Dataset& test, const Dataset& train) {
  TestSet out;
  const Interactions& x = test.interactions;
  out.events = x.size();
  std::vector<std::int32_t> user_map(static_cast<std::size_t>(test.n_users()));
  std::vector<std::int32_t> item_map(static_cast<std::size_t>(test.n_items()));
  for (std::int32_t u = 0; u < test.n_users(); ++u) user_map[u] = train.users.find(test.users.name(u));
  for (std::int32_t i = 0; i < test.n_items(); ++i) item_map[i] = train.items.find(test.items.name(i));
  std::vector<char> item_seen_unknown(item_map.size(), 0);
  std::vector<FeedbackEntry> entries;
  entries.reserve(static_cast<std::size_t>(x.size()));
  for (std::int32_t u = 0; u < test.n_users(); ++u) {
    if (x.count(u) == 0) continue;
    if (user_map[u] == IdMap::kMissing) {
      ++out.unknown_users;
      out.unknown_user_events += x.count(u);
      continue;
    }
    const std::size_t entries_before = entries.size();
    for (std::int64_t e = x.begin(u); e < x.end(u); ++e) {
      const std::int32_t item = item_map[x.items[e]];
      if (item == IdMap::kMissing) {
        ++out.unknown_item_events;
        if (!item_seen_unknown[x.items[e]]) {
          item_seen_unknown[x.items[e]] = 1;
          ++out.unknown_items;
        }
        continue;
      }
      entries.push_back({user_map[u], item, x.weight(e) * test.event_signal[x.event(e)]});
    }
    if (entries.size() == entries_before) ++out.users_only_unknown_items;
  }
  out.feedback = build_feedback(train.n_users(), train.n_items(), entries);
  return out;
}

CandidateSet read_candidates(const std::string& path, const IdMap& items) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw InputError(path, 0, "", "cannot open the candidates file");
  CandidateSet out;
  out.mask.assign(static_cast<std::size_t>(items.size()), 0);
  std::string line;
  std::size_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    std::string_view id = line;
    if (number == 1 && id.size() >= 3 && static_cast<unsigned char>(id[0]) == 0xEF &&
        static_cast<unsigned char>(id[1]) == 0xBB && static_cast<unsigned char>(id[2]) == 0xBF)
      id.remove_prefix(3);  // UTF-8 BOM
    while (!id.empty() && (id.back() == '\r' || id.back() == ' ' || id.back() == '\t')) id.remove_suffix(1);
    while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
    if (id.empty()) continue;
    if (out.ids == 0 && id == "item_id") continue;  // header
    ++out.ids;
    const std::int32_t item = items.find(id);
    if (item == IdMap::kMissing) {
      ++out.unknown_ids;
      if (out.first_unknown.size() < 5) out.first_unknown.emplace_back(id);
      continue;
    }
    std::uint8_t& flag = out.mask[static_cast<std::size_t>(item)];
    if (flag != 0) ++out.duplicates;
    else ++out.items;
    flag = 1;
  }
  if (file.bad()) throw InputError(path, number, "", "read error");
  if (out.items == 0)
    throw InputError(path, number, "", "no candidate item known to the training data (" +
                                           std::to_string(out.ids) + " ids read, " +
                                           std::to_string(out.unknown_ids) + " unknown; cold items join the catalogue through --items ITEMS.csv)");
  return out;
}

SkipPredictions read_skip_predictions(const std::string& path) {
  CsvReader csv(path);
  const int session_col = csv.require_column("session_id", "the skip predictions' session column");
  const int position_col = csv.require_column("position", "the skip predictions' position column");
  const int skip_col = csv.require_column("skip", "the skip predictions' label column (0/1)");
  const int prediction_col = csv.require_column("prediction", "the skip predictions' probability column");
  struct Row {
    std::int32_t session;
    std::int64_t position;
    std::size_t line;
    std::uint8_t label;
    float prediction;
  };
  std::vector<Row> rows;
  IdMap sessions;
  std::vector<std::size_t> first_line;
  SkipPredictions out;
  while (csv.next()) {
    csv.expect_width();
    const std::string_view session = csv.id(session_col);
    const std::int64_t position = csv.integer(position_col);
    if (position < 1) throw csv.error(position_col, "expected a position >= 1, got " + std::to_string(position));
    const std::string_view label_text = csv.text(skip_col);
    std::int64_t label = -1;
    if (!parse_int64(label_text, label) || (label != 0 && label != 1))
      throw csv.error(skip_col, "expected 0 or 1, got '" + std::string(label_text) + "'");
    const std::string_view p_text = csv.text(prediction_col);
    double p = 0;
    if (!parse_double(p_text, p) || p < 0.0 || p > 1.0)
      throw csv.error(prediction_col, "expected a probability in [0, 1], got '" + std::string(p_text) + "'");
    const std::int32_t s = sessions.intern(session);
    if (static_cast<std::size_t>(s) == first_line.size()) first_line.push_back(csv.line());
    rows.push_back({s, position, csv.line(), static_cast<std::uint8_t>(label), static_cast<float>(p)});
    out.prediction.push_back(static_cast<float>(p));
    out.label.push_back(static_cast<std::uint8_t>(label));
  }
  if (rows.empty()) throw InputError(path, 1, "", "no prediction rows");
  out.sessions = sessions.size();
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.session != b.session ? a.session < b.session : a.position < b.position;
  });
  const auto field = [&](int column) { return csv.column_name(column); };
  for (std::size_t begin = 0; begin < rows.size();) {
    std::size_t end = begin;
    while (end < rows.size() && rows[end].session == rows[begin].session) ++end;
    const std::int64_t n = rows[end - 1].position;
    if (n > 100000000) throw InputError(path, rows[end - 1].line, field(position_col), "position too large");
    const std::size_t offset = out.session_predicted.size();
    out.session_predicted.resize(offset + static_cast<std::size_t>(n), 0);
    out.session_actual.resize(offset + static_cast<std::size_t>(n), 0);
    std::vector<char> present(static_cast<std::size_t>(n), 0);
    for (std::size_t r = begin; r < end; ++r) {
      const auto at = static_cast<std::size_t>(rows[r].position - 1);
      if (present[at])
        throw InputError(path, rows[r].line, field(position_col),
                         "position " + std::to_string(rows[r].position) + " repeats within session '" +
                             std::string(sessions.name(rows[r].session)) + "'");
      present[at] = 1;
      out.session_predicted[offset + at] = rows[r].prediction >= 0.5f ? 1 : 0;
      out.session_actual[offset + at] = rows[r].label;
    }
    for (std::int64_t p = n / 2 + 1; p <= n; ++p)
      if (!present[static_cast<std::size_t>(p - 1)])
        throw InputError(path, first_line[static_cast<std::size_t>(rows[begin].session)], field(position_col),
                         "session '" + std::string(sessions.name(rows[begin].session)) + "' has no row for position " +
                             std::to_string(p) + " (positions " + std::to_string(n / 2 + 1) + ".." +
                             std::to_string(n) + " are scored)");
    out.session_offsets.push_back(static_cast<std::int64_t>(out.session_predicted.size()));
    begin = end;
  }
  return out;
}

}  // namespace segue
