// User features (docs/FEATURES.md, "User features"): two passes over a users
// CSV — the first decides which columns are numeric, the second collects
// tokens and numbers per row of a training user — then token vocabularies are
// pruned (min_df), numbers standardised and the CSR matrix assembled.
#include "features/user_features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <utility>

#include "data/csv_reader.h"
#include "data/error.h"
#include "features/feature_cells.h"

namespace segue {
namespace {

// A token must occur in at least this many described users' rows to become a
// feature: a token of one user says nothing the user's identity does not.
constexpr std::int64_t kMinDf = 2;

enum class Kind { kId, kFriends, kTokens, kNumeric };

// One token column: its group name, vocabulary and document frequencies.
struct TokenColumn {
  int column = -1;
  std::string group;  // "friend" for the friends column, else the column's name
  IdMap vocab;
  std::vector<std::int64_t> df;
  std::vector<std::int32_t> feature_of;  // local token -> feature id (-1 = below min_df)
};

struct Term {
  std::int32_t table;  // index into the token columns
  std::int32_t local;
  float value;
};

}  // namespace

std::string UserFeatureReport::summary() const {
  std::string out = "users: " + std::to_string(rows) + " rows from " + path + "; " + std::to_string(described_users) +
                    " training users described; " + std::to_string(unknown_users) +
                    " rows of users not in the training data ignored -> " + std::to_string(features) + " features";
  out += "\n  token columns:";
  for (const std::string& c : token_columns) out += " " + c;
  if (token_columns.empty()) out += " none";
  out += "; numeric columns:";
  for (const std::string& c : numeric_columns) out += " " + c;
  if (numeric_columns.empty()) out += " none";
  out += "; " + std::to_string(dropped_terms) + " tokens below min_df " + std::to_string(kMinDf) + " dropped, " +
         std::to_string(missing_values) + " missing numeric values";
  return out;
}

FeatureMatrix build_user_features(const std::string& path, const IdMap& users, UserFeatureReport* report_out) {
  UserFeatureReport report;
  report.path = path;

  // Pass 1: kinds. `friends` is always tokens (user ids); other columns are
  // numeric when every non-empty cell looks like a number (±inf and NaN
  // included, so that they are reported rather than read as tokens).
  std::vector<std::string> header;
  std::vector<Kind> kinds;
  int id_col = -1;
  {
    CsvReader csv(path);
    header = csv.header();
    id_col = csv.require_column("user_id", "the users file's id column");
    std::vector<std::uint8_t> numeric(header.size(), 1);
    while (csv.next()) {
      if (csv.size() != header.size()) continue;  // reported in pass 2
      for (std::size_t c = 0; c < header.size(); ++c)
        if (numeric[c] && !number_like(csv.field(c))) numeric[c] = 0;
    }
    kinds.resize(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (static_cast<int>(c) == id_col) kinds[c] = Kind::kId;
      else if (header[c] == "friends") kinds[c] = Kind::kFriends;
      else kinds[c] = numeric[c] ? Kind::kNumeric : Kind::kTokens;
    }
  }
  std::vector<TokenColumn> tables;
  std::vector<int> numeric_cols;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (kinds[c] == Kind::kNumeric) {
      numeric_cols.push_back(static_cast<int>(c));
      report.numeric_columns.push_back(header[c]);
    } else if (kinds[c] != Kind::kId) {
      TokenColumn t;
      t.column = static_cast<int>(c);
      t.group = kinds[c] == Kind::kFriends ? "friend" : header[c];
      tables.push_back(std::move(t));
      report.token_columns.push_back(header[c]);
    }
  }

  // Pass 2: per row of a training user, its terms (row_begin[r]..) and numbers.
  std::vector<std::int32_t> row_user;
  std::vector<std::int64_t> row_begin{0};
  std::vector<Term> terms;
  std::vector<std::vector<double>> numbers(numeric_cols.size());
  std::unordered_map<std::string, std::size_t> first_line;  // user id -> line (duplicates)
  {
    CsvReader csv(path);
    std::unordered_map<std::int32_t, double> bag;  // one column's tokens of one row, counts summed
    while (csv.next()) {
      csv.expect_width();
      ++report.rows;
      const std::string_view id = csv.id(id_col);
      const auto [seen, inserted] = first_line.emplace(std::string(id), csv.line());
      if (!inserted)
        throw csv.error(id_col, "duplicate user id '" + std::string(id) + "' (first on line " +
                                    std::to_string(seen->second) + ")");
      std::vector<double> row_numbers(numeric_cols.size(), std::numeric_limits<double>::quiet_NaN());
      for (std::size_t j = 0; j < numeric_cols.size(); ++j) {
        double value = 0;
        if (numeric_cell(csv, numeric_cols[j], value)) row_numbers[j] = value;  // checked for unknown users too
      }
      const std::int32_t user = users.find(id);
      if (user == IdMap::kMissing) {
        ++report.unknown_users;
        continue;
      }
      row_user.push_back(user);
      for (std::size_t j = 0; j < numeric_cols.size(); ++j) {
        numbers[j].push_back(row_numbers[j]);
        if (std::isnan(row_numbers[j])) ++report.missing_values;
      }
      for (std::size_t t = 0; t < tables.size(); ++t) {
        TokenColumn& table = tables[t];
        const bool friends = kinds[static_cast<std::size_t>(table.column)] == Kind::kFriends;
        std::string_view rest = trim_cell(csv.text(table.column));
        while (!rest.empty()) {
          const std::size_t bar = rest.find('|');
          const std::string_view token = trim_cell(rest.substr(0, bar));
          rest = bar == std::string_view::npos ? std::string_view() : rest.substr(bar + 1);
          if (token.empty()) continue;
          const auto [value, count] = friends ? std::pair<std::string_view, double>{token, 1.0} : token_and_count(token);
          if (value.empty()) continue;
          const std::int32_t local = table.vocab.intern(value);
          if (static_cast<std::size_t>(local) >= table.df.size()) table.df.push_back(0);
          bag[local] += count;
        }
        // Weights: count / the row's largest count in this column (1 for plain tokens).
        double largest = 0;
        for (const auto& [local, count] : bag) largest = std::max(largest, count);
        std::vector<std::pair<std::int32_t, double>> sorted(bag.begin(), bag.end());
        std::sort(sorted.begin(), sorted.end());
        for (const auto& [local, count] : sorted) {
          ++table.df[static_cast<std::size_t>(local)];
          terms.push_back({static_cast<std::int32_t>(t), local, static_cast<float>(count / largest)});
        }
        bag.clear();
      }
      row_begin.push_back(static_cast<std::int64_t>(terms.size()));
    }
  }
  report.described_users = static_cast<std::int64_t>(row_user.size());

  // Features: each token column's tokens with df >= kMinDf, by name; then the numeric columns.
  FeatureMatrix m;
  for (TokenColumn& table : tables) {
    std::vector<std::int32_t> kept;
    for (std::int32_t local = 0; local < table.vocab.size(); ++local)
      if (table.df[static_cast<std::size_t>(local)] >= kMinDf) kept.push_back(local);
    report.dropped_terms += table.vocab.size() - static_cast<std::int64_t>(kept.size());
    std::sort(kept.begin(), kept.end(),
              [&](std::int32_t a, std::int32_t b) { return table.vocab.name(a) < table.vocab.name(b); });
    table.feature_of.assign(static_cast<std::size_t>(table.vocab.size()), -1);
    if (kept.empty()) continue;
    m.groups.push_back(table.group);
    const auto gid = static_cast<std::int16_t>(m.groups.size() - 1);
    for (const std::int32_t local : kept) {
      table.feature_of[static_cast<std::size_t>(local)] = static_cast<std::int32_t>(m.names.size());
      m.names.push_back(table.group + "=" + std::string(table.vocab.name(local)));
      m.group_of.push_back(gid);
    }
  }
  // Numeric columns: z-score over the described users that have the value (population sd).
  std::vector<std::int32_t> z_feature(numeric_cols.size(), -1);
  std::vector<double> mean(numeric_cols.size(), 0), scale(numeric_cols.size(), 0);
  std::int16_t numeric_gid = -1;
  for (std::size_t j = 0; j < numeric_cols.size(); ++j) {
    double sum = 0, sq = 0;
    std::int64_t n = 0;
    for (const double v : numbers[j])
      if (!std::isnan(v)) sum += v, ++n;
    if (n == 0) continue;
    mean[j] = sum / static_cast<double>(n);
    for (const double v : numbers[j])
      if (!std::isnan(v)) sq += (v - mean[j]) * (v - mean[j]);
    const double sd = std::sqrt(sq / static_cast<double>(n));
    scale[j] = sd > 0 ? 1.0 / sd : 0.0;
    if (numeric_gid < 0) {
      m.groups.push_back("numeric");
      numeric_gid = static_cast<std::int16_t>(m.groups.size() - 1);
    }
    z_feature[j] = static_cast<std::int32_t>(m.names.size());
    m.names.push_back(header[static_cast<std::size_t>(numeric_cols[j])]);
    m.group_of.push_back(numeric_gid);
  }

  // Assemble the CSR rows in user order.
  const std::int32_t n_users = users.size();
  std::vector<std::int64_t> row_of(static_cast<std::size_t>(n_users), -1);
  for (std::size_t r = 0; r < row_user.size(); ++r) row_of[static_cast<std::size_t>(row_user[r])] = static_cast<std::int64_t>(r);
  m.n_rows = n_users;
  m.n_features = static_cast<std::int32_t>(m.names.size());
  m.described.assign(static_cast<std::size_t>(n_users), 0);
  m.indptr.assign(1, 0);
  std::vector<std::pair<std::int32_t, float>> row;
  for (std::int32_t user = 0; user < n_users; ++user) {
    const std::int64_t r = row_of[static_cast<std::size_t>(user)];
    row.clear();
    if (r >= 0) {
      m.described[static_cast<std::size_t>(user)] = 1;
      for (std::int64_t t = row_begin[static_cast<std::size_t>(r)]; t < row_begin[static_cast<std::size_t>(r) + 1]; ++t) {
        const Term& term = terms[static_cast<std::size_t>(t)];
        const std::int32_t feature =
            tables[static_cast<std::size_t>(term.table)].feature_of[static_cast<std::size_t>(term.local)];
        if (feature >= 0) row.push_back({feature, term.value});
      }
      for (std::size_t j = 0; j < numeric_cols.size(); ++j) {
        const double v = numbers[j][static_cast<std::size_t>(r)];
        if (z_feature[j] < 0 || std::isnan(v)) continue;
        row.push_back({z_feature[j], static_cast<float>((v - mean[j]) * scale[j])});
      }
    }
    std::sort(row.begin(), row.end());
    for (const auto& [feature, value] : row) {
      m.indices.push_back(feature);
      m.values.push_back(value);
    }
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  report.features = m.n_features;
  m.validate();
  if (report_out != nullptr) *report_out = std::move(report);
  return m;
}

}  // namespace segue
