#include "cli/training_input.h"

#include "data/csv_reader.h"

#include <cstdio>
#include <limits>

#include "data/signal.h"
#include "data/store.h"
#include "eval/test_set.h"

namespace segue::cli {

Dataset load_training(const TrainingInput& input, IssueLog& issues) {
  if (input.train_csv.empty() == input.data_dir.empty())
    throw UsageError("give exactly one of --train FILE (CSV) or --data DIR (a store from `segue import`)");
  if (!input.data_dir.empty()) return load_dataset(input.data_dir);
  const SignalTable signal = input.signal.empty() ? SignalTable::defaults() : SignalTable::parse(input.signal);
  return load_interactions_csv(input.train_csv, signal, issues);
}

FeatureMatrix load_user_features(const std::string& users_csv, const Dataset& train) {
  UserFeatureReport report;
  FeatureMatrix features = build_user_features(users_csv, train.users, &report);
  std::printf("%s\n", report.summary().c_str());
  return features;
}

ItemFeatureOptions item_feature_options(int text_dim) {
  if (text_dim < 0 || text_dim > 1024) throw UsageError("--text-dim: expected 0 (off) .. 1024, got " + std::to_string(text_dim));
  ItemFeatureOptions options;
  options.text_dim = text_dim;
  return options;
}

void print_issues(const IssueLog& issues) {
  for (const auto& note : issues.notes()) std::printf("note: %s\n", note.c_str());
  if (issues.skipped() > 0) std::fprintf(stderr, "warning: %s\n", issues.summary().c_str());
}

}  // namespace segue::cli

namespace segue::cli {

UserNamesReport load_user_names(const std::string& path, Dataset& data) {
  CsvReader csv(path);
  const int id_col = csv.require_column("user_id", "the user id column");
  const int name_col = csv.require_column("name", "the user name (title) column");
  StringColumn* column = nullptr;
  for (StringColumn& c : data.user_attributes.strings)
    if (c.name == "name") column = &c;
  if (column == nullptr) {
    data.user_attributes.strings.push_back({"name", {}});
    column = &data.user_attributes.strings.back();
  }
  column->values.resize(static_cast<std::size_t>(data.n_users()));
  UserNamesReport report;
  while (csv.next()) {
    ++report.rows;
    const std::int32_t user = data.users.find(csv.field(id_col));
    if (user == IdMap::kMissing) {
      ++report.unknown_ids;
      continue;
    }
    column->values[static_cast<std::size_t>(user)] = std::string(csv.field(name_col));
    ++report.named;
  }
  return report;
}

void print_user_names(const UserNamesReport& report, const std::string& path) {
  std::printf("user names: %lld rows from %s; %lld training users named, %lld ids not in the training data\n",
              static_cast<long long>(report.rows), path.c_str(), static_cast<long long>(report.named),
              static_cast<long long>(report.unknown_ids));
}

}  // namespace segue::cli
