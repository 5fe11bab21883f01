// segue synth: exact row counts, ids in range, distinct pairs per user, the
// source's popularity curve and cluster concentration kept, determinism under
// the seed, files labelled synthetic and readable by the importers, and
// UsageErrors naming the flag.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "data/importer.h"
#include "data/synth.h"
#include "test_util.h"
#include "util/rng.h"

namespace segue {
namespace {

// A small "real" store: 400 playlists over 600 tracks; tracks have a Zipf(1)
// popularity and one of 6 genres; a playlist mostly holds tracks of its own
// genre, with lengths 5..60.
Dataset fixture_store() {
  DatasetBuilder builder;
  Rng rng(2024);
  constexpr int kItems = 600, kGenres = 6;
  std::vector<double> cumulative;
  double total = 0;
  for (int i = 0; i < kItems; ++i) cumulative.push_back(total += 1.0 / (i + 1));
  auto zipf_item = [&](int genre) {
    for (;;) {
      const double x = rng.unit() * total;
      const int i = static_cast<int>(std::lower_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
      if (genre < 0 || i % kGenres == genre) return std::min(i, kItems - 1);
    }
  };
  for (int u = 0; u < 400; ++u) {
    const int genre = u % kGenres;
    const int length = 5 + static_cast<int>(rng.below(56));
    std::set<int> chosen;
    while (static_cast<int>(chosen.size()) < length) chosen.insert(zipf_item(rng.unit() < 0.8 ? genre : -1));
    const std::int32_t user = builder.user("p" + std::to_string(u));
    for (int i : chosen) {
      DatasetBuilder::Event event;
      event.user = user;
      event.item = builder.item("t" + std::to_string(i));
      builder.add(event);
    }
  }
  return builder.finish("test:fixture");
}

SynthOptions small_options(std::uint64_t seed = 3) {
  SynthOptions o;
  o.users = 3000;
  o.items = 1500;
  o.rows = 60000;
  o.seed = seed;
  o.clusters = 8;
  o.model = "ials:factors=8,iterations=4";
  return o;
}

const SynthProfile& profile() {
  static const SynthProfile p = measure_source(fixture_store(), small_options());
  return p;
}

struct Collected {
  std::vector<std::vector<std::int32_t>> items;  // per user, in order
  std::vector<float> weights;
  SynthSummary summary;
};

Collected collect(const SynthOptions& options, const SynthProfile& p = profile()) {
  Collected out;
  out.summary = generate_synthetic(p, options, [&](const SynthBlock& block) {
    EXPECT_EQ(block.first_user, static_cast<std::int32_t>(out.items.size()));
    for (std::size_t k = 0; k + 1 < block.indptr.size(); ++k) {
      out.items.emplace_back(block.items.begin() + block.indptr[k], block.items.begin() + block.indptr[k + 1]);
      out.weights.insert(out.weights.end(), block.weights.begin() + block.indptr[k],
                         block.weights.begin() + block.indptr[k + 1]);
    }
  });
  return out;
}

TEST(Synth, MeasuresTheSource) {
  const SynthProfile& p = profile();
  EXPECT_EQ(p.source_users, 400);
  EXPECT_GT(p.source_items, 400);
  EXPECT_EQ(p.user_indptr.back(), p.source_rows);
  EXPECT_EQ(p.clusters, 8);
  for (std::size_t r = 1; r < p.item_counts.size(); ++r) ASSERT_LE(p.item_counts[r], p.item_counts[r - 1]);
  EXPECT_TRUE(p.weights.empty());  // every source weight is 1
  EXPECT_NE(p.model.find("seed=3"), std::string::npos);
}

TEST(Synth, RowCountIsExactIdsInRangePairsDistinct) {
  const SynthOptions o = small_options();
  const Collected c = collect(o);
  ASSERT_EQ(c.items.size(), 3000u);
  std::int64_t rows = 0;
  for (const auto& user : c.items) {
    ASSERT_FALSE(user.empty());  // every user has a row
    rows += static_cast<std::int64_t>(user.size());
    std::set<std::int32_t> distinct(user.begin(), user.end());
    ASSERT_EQ(distinct.size(), user.size()) << "a user holds an item twice";
    for (std::int32_t item : user) ASSERT_TRUE(item >= 0 && item < o.items) << item;
  }
  EXPECT_EQ(rows, o.rows);
  EXPECT_EQ(c.summary.rows, o.rows);
  for (float w : c.weights) ASSERT_EQ(w, 1.0f);
}

TEST(Synth, RowCountExactWhenUsersNearlyFillTheCatalogue) {
  SynthOptions o = small_options();
  o.users = 50;
  o.items = 40;
  o.rows = 1900;  // 95% of all pairs
  const Collected c = collect(o);
  std::int64_t rows = 0;
  for (const auto& user : c.items) {
    ASSERT_LE(user.size(), 40u);
    EXPECT_EQ(std::set<std::int32_t>(user.begin(), user.end()).size(), user.size());
    rows += static_cast<std::int64_t>(user.size());
  }
  EXPECT_EQ(rows, 1900);
}

TEST(Synth, PopularityFollowsTheSource) {
  const Collected c = collect(small_options());
  const PopularityStats& s = c.summary.source_popularity;
  const PopularityStats& o = c.summary.output_popularity;
  EXPECT_NEAR(o.top1_share, s.top1_share, 0.05);
  EXPECT_NEAR(o.top10_share, s.top10_share, 0.05);
  EXPECT_NEAR(o.top50_share, s.top50_share, 0.05);
  EXPECT_NEAR(o.power_law_slope, s.power_law_slope, 0.25);
  EXPECT_GT(s.top10_share, 0.25);  // the fixture is skewed, so the check means something
  // The length distribution is the source's scaled to rows / users.
  EXPECT_NEAR(c.summary.output_mean_length, 20.0, 1e-9);
}

TEST(Synth, KeepsTasteStructureBeyondPopularity) {
  const Collected taste = collect(small_options());
  SynthOptions popularity_only = small_options();
  popularity_only.popularity_mix = 1.0;
  const Collected flat = collect(popularity_only);
  // Users concentrate on clusters as the source's do; popularity alone does not.
  EXPECT_NEAR(taste.summary.output_top_cluster_share, taste.summary.source_top_cluster_share, 0.12);
  EXPECT_GT(taste.summary.output_top_cluster_share, flat.summary.output_top_cluster_share + 0.1);
}

TEST(Synth, SameSeedSameOutputDifferentSeedDifferent) {
  const Collected a = collect(small_options(3));
  const Collected b = collect(small_options(3));
  EXPECT_EQ(a.items, b.items);
  SynthOptions other = small_options(4);
  const SynthProfile p4 = measure_source(fixture_store(), other);
  const Collected d = collect(other, p4);
  EXPECT_NE(a.items, d.items);
  // The seed of the profile alone also changes the output (its clusters and ids).
  const Collected e = collect(small_options(3), p4);
  EXPECT_NE(a.items, e.items);
}

TEST(Synth, BadArgumentsNameTheFlag) {
  auto expect_flag = [](SynthOptions o, const std::string& flag) {
    try {
      validate(o);
      ADD_FAILURE() << "no error for " << flag;
    } catch (const UsageError& error) {
      EXPECT_NE(std::string(error.what()).find(flag), std::string::npos) << error.what();
    }
    EXPECT_THROW(generate_synthetic(profile(), o, [](const SynthBlock&) {}), UsageError);
  };
  SynthOptions o = small_options();
  o.users = 0;
  expect_flag(o, "--users");
  o = small_options();
  o.items = -1;
  expect_flag(o, "--items");
  o = small_options();
  o.rows = o.users - 1;
  expect_flag(o, "--rows");
  o = small_options();
  o.rows = static_cast<std::int64_t>(o.users) * o.items + 1;
  expect_flag(o, "--rows");
  o = small_options();
  o.clusters = 0;
  expect_flag(o, "--clusters");
  o = small_options();
  o.popularity_mix = 1.5;
  expect_flag(o, "--popularity-mix");
  o = small_options();
  o.test_fraction = 1.0;
  expect_flag(o, "--test-fraction");
  o = small_options();
  o.model = "pop";
  EXPECT_THROW(measure_source(fixture_store(), o), UsageError);  // no item vectors
}

TEST(Synth, WritesLabelledFilesThatImport) {
  testing::TempDir dir;
  SynthOptions o = small_options();
  o.test_fraction = 0.2;
  const SynthSummary s = write_synthetic(profile(), o, dir.path().string(), "fixture-store");
  EXPECT_EQ(s.rows, o.rows);
  nlohmann::json meta = nlohmann::json::parse(std::ifstream(dir.file("synth.json")));
  EXPECT_EQ(meta["synthetic"], true);
  EXPECT_EQ(meta["parameters"]["rows"], o.rows);
  EXPECT_EQ(meta["parameters"]["seed"], o.seed);
  std::stringstream readme;
  readme << std::ifstream(dir.file("SYNTHETIC.md")).rdbuf();
  EXPECT_NE(readme.str().find("SYNTHETIC DATA"), std::string::npos);

  ImportOptions import;
  import.columns.weight = "weight";
  IssueLog issues;
  const Dataset train = import_csv(dir.file("synthetic_train.csv"), import, issues);
  const Dataset test = import_csv(dir.file("synthetic_test.csv"), import, issues);
  EXPECT_EQ(train.interactions.size() + test.interactions.size(), o.rows);
  EXPECT_EQ(train.n_users(), o.users);  // every user keeps a training row
  EXPECT_NEAR(static_cast<double>(test.interactions.size()) / o.rows, 0.2, 0.02);
  EXPECT_EQ(meta["files"][1]["rows"], test.interactions.size());
  EXPECT_NE(train.source.find("synthetic"), std::string::npos);  // the label reaches the store
}

}  // namespace
}  // namespace segue
