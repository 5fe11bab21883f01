// Text embeddings (features/text_embeddings.h) and the pipeline's "text" group
// (`--text-dim N`, docs/FEATURES.md). Tiny corpora, small dims and few epochs:
// each fastText run costs about 0.3 s, most of it the library's fixed setup.
#include "features/text_embeddings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "data/error.h"
#include "features/item_features.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::TempDir;

IdMap ids(std::initializer_list<const char*> names) {
  IdMap m;
  for (const char* n : names) m.intern(n);
  return m;
}

ItemFeatureOptions text_options(std::int32_t dim, std::uint64_t seed = 42) {
  ItemFeatureOptions o;
  o.text_dim = dim;
  o.text_epochs = 3;
  o.text_seed = seed;
  return o;
}

const FeatureGroupReport* group(const ItemFeatureReport& r, const std::string& name) {
  for (const auto& g : r.groups)
    if (g.group == name) return &g;
  return nullptr;
}

// The item's text vector (empty when it has none), read back from the matrix.
std::vector<float> text_vector(const FeatureMatrix& m, std::int32_t item) {
  std::vector<float> out;
  const auto idx = m.row_indices(item);
  const auto val = m.row_values(item);
  for (std::size_t k = 0; k < idx.size(); ++k)
    if (m.groups[static_cast<std::size_t>(m.group_of[static_cast<std::size_t>(idx[k])])] == "text") out.push_back(val[k]);
  return out;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t j = 0; j < a.size(); ++j) s += static_cast<double>(a[j]) * b[j];
  return s;
}

// Two clusters of items: metal (a1..a3) and classical (b1..b3); the words of a
// cluster recur in its items and never in the other's.
constexpr const char* kClusters =
    "item_id,name,tags\n"
    "a1,Iron Riffs,heavy metal|guitar:3|loud\n"
    "a2,Riffs of Steel,heavy metal|guitar|thrash\n"
    "a3,Steel Guitar,metal|loud|thrash\n"
    "b1,Piano Sonata,classical|piano:2|calm\n"
    "b2,Sonata in Blue,classical|strings|calm\n"
    "b3,Blue Piano,piano|strings|baroque\n";

TEST(TextEmbeddings, AddsTextGroupLastWithUnitRows) {
  TempDir dir;
  const std::string path = dir.write("items.csv", kClusters);
  IdMap items = ids({"a1", "a2", "a3", "b1", "b2", "b3"});
  ItemFeatureReport report;
  const FeatureMatrix m = build_item_features(path, items, text_options(8), &report);
  ASSERT_FALSE(m.groups.empty());
  EXPECT_EQ(m.groups.back(), "text");
  ASSERT_GE(m.n_features, 8);
  for (std::int32_t j = 0; j < 8; ++j) {
    const auto f = static_cast<std::size_t>(m.n_features - 8 + j);
    EXPECT_EQ(m.names[f], "text:" + std::to_string(j));
    EXPECT_EQ(m.groups[static_cast<std::size_t>(m.group_of[f])], "text");
  }
  for (std::int32_t i = 0; i < m.n_rows; ++i) {
    const std::vector<float> v = text_vector(m, i);
    ASSERT_EQ(v.size(), 8u) << "item " << i;
    EXPECT_NEAR(dot(v, v), 1.0, 1e-5);
  }
  const FeatureGroupReport* g = group(report, "text");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->features, 8);
  EXPECT_EQ(g->items, 6);
  EXPECT_NE(report.summary().find("group text: 8 features, 6 items"), std::string::npos) << report.summary();
  EXPECT_NO_THROW(m.validate());
}

// The cluster fixture's words as documents, trained once with seed 1 and shared
// by the determinism tests (each fastText run costs about 0.3 s of fixed setup).
const std::vector<std::vector<std::string>>& cluster_docs() {
  static const std::vector<std::vector<std::string>> docs{
      {"iron", "riffs", "heavy", "metal", "guitar", "loud"}, {"riffs", "of", "steel", "heavy", "metal", "guitar"},
      {"piano", "sonata", "classical", "piano", "calm"},    {"sonata", "in", "blue", "strings", "calm"}};
  return docs;
}

TextEmbeddings train_clusters(std::uint64_t seed) {
  TextEmbeddingOptions o;
  o.dim = 8;
  o.epochs = 2;
  o.seed = seed;
  return train_text_embeddings(cluster_docs(), o, "docs");
}

const TextEmbeddings& clusters_seed_1() {
  static const TextEmbeddings e = train_clusters(1);
  return e;
}

TEST(TextEmbeddings, SameSeedGivesIdenticalVectors) {
  const TextEmbeddings again = train_clusters(1);
  EXPECT_EQ(again.vectors, clusters_seed_1().vectors);  // bit for bit
  EXPECT_EQ(again.has_vector, clusters_seed_1().has_vector);
}

TEST(TextEmbeddings, DifferentSeedGivesDifferentVectors) {
  const TextEmbeddings other = train_clusters(2);
  ASSERT_EQ(other.vectors.size(), clusters_seed_1().vectors.size());
  EXPECT_NE(other.vectors, clusters_seed_1().vectors);
}

// Two clusters of documents whose words never cross: skipgram pulls a
// cluster's words together, so every within-cluster pair of documents is closer
// than every cross pair (no subsampling: on 30 tokens it would drop nearly all).
TEST(TextEmbeddings, ItemsSharingWordsAreCloser) {
  const std::vector<std::vector<std::string>> docs{
      {"heavy", "metal", "guitar", "riff"},   {"metal", "thrash", "loud", "riff"},
      {"guitar", "loud", "heavy", "thrash"},  {"piano", "sonata", "calm", "strings"},
      {"baroque", "strings", "sonata", "harpsichord"}, {"calm", "piano", "harpsichord", "baroque"}};
  TextEmbeddingOptions o;
  o.dim = 16;
  o.epochs = 50;
  o.sampling = 1.0;
  const TextEmbeddings e = train_text_embeddings(docs, o, "docs");
  std::vector<std::vector<float>> v;
  for (std::size_t d = 0; d < docs.size(); ++d) v.emplace_back(e.row(d).begin(), e.row(d).end());
  double worst_close = 2, best_far = -2;
  for (int a = 0; a < 6; ++a)
    for (int b = a + 1; b < 6; ++b) {
      const double c = dot(v[a], v[b]);
      if ((a < 3) == (b < 3)) worst_close = std::min(worst_close, c);
      else best_far = std::max(best_far, c);
    }
  EXPECT_GT(worst_close, best_far);
}

TEST(TextEmbeddings, ItemsWithoutTextGetNoTextFeatures) {
  TempDir dir;
  const std::string path = dir.write("items.csv",
                                     "item_id,name,tags,plays\n"
                                     "a,Love Song,pop,3\n"
                                     "b,,,5\n"      // described, numbers only
                                     "c,!!,,7\n"    // punctuation only: no word
                                     "d,Sad Song,pop|sad,\n");
  IdMap items = ids({"a", "b", "c", "d", "e"});  // e: a training item without a row
  ItemFeatureReport report;
  const FeatureMatrix m = build_item_features(path, items, text_options(4), &report);
  EXPECT_EQ(text_vector(m, 0).size(), 4u);
  EXPECT_TRUE(text_vector(m, 1).empty());
  EXPECT_TRUE(text_vector(m, 2).empty());
  EXPECT_EQ(text_vector(m, 3).size(), 4u);
  EXPECT_EQ(m.count(4), 0);
  EXPECT_GT(m.count(1), 0);  // its numeric features are still there
  const FeatureGroupReport* g = group(report, "text");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->items, 2);
  EXPECT_NE(report.summary().find("2 described items without text"), std::string::npos) << report.summary();
}

TEST(TextEmbeddings, NonLatinScriptsGetVectors) {
  TempDir dir;
  const std::string path = dir.write("items.csv",
                                     "item_id,name\n"
                                     "jp1,東京 夜景\n"
                                     "jp2,東京タワー\n"
                                     "ru,Ночь город\n"
                                     "ar,ليلة المدينة\n"
                                     "mix,ÜBER beyoncé 🎵🎵\n");
  IdMap items = ids({});
  const FeatureMatrix m = build_item_features(path, items, text_options(8));
  ASSERT_EQ(m.n_rows, 5);
  for (std::int32_t i = 0; i < m.n_rows; ++i) {
    const std::vector<float> v = text_vector(m, i);
    ASSERT_EQ(v.size(), 8u) << "item " << i;
    for (const float x : v) EXPECT_TRUE(std::isfinite(x));
    EXPECT_NEAR(dot(v, v), 1.0, 1e-5);
  }
}

TEST(TextEmbeddings, TextDimZeroLeavesTheMatrixUnchanged) {
  TempDir dir;
  const std::string path = dir.write("items.csv", kClusters);
  IdMap plain_items = ids({"a1"}), text_items = ids({"a1"});
  ItemFeatureOptions off;
  off.text_seed = 99;  // read only when text_dim > 0
  const FeatureMatrix plain = build_item_features(path, plain_items, off);
  const FeatureMatrix with_text = build_item_features(path, text_items, text_options(4));
  EXPECT_EQ(std::count(plain.groups.begin(), plain.groups.end(), "text"), 0);
  // The text group only appends columns: dropping them gives the plain matrix.
  ASSERT_EQ(with_text.n_features, plain.n_features + 4);
  EXPECT_EQ(std::vector<std::string>(with_text.names.begin(), with_text.names.begin() + plain.n_features), plain.names);
  EXPECT_EQ(std::vector<std::string>(with_text.groups.begin(), with_text.groups.end() - 1), plain.groups);
  for (std::int32_t i = 0; i < plain.n_rows; ++i) {
    const auto idx = with_text.row_indices(i);
    const auto val = with_text.row_values(i);
    std::vector<std::int32_t> kept_idx;
    std::vector<float> kept_val;
    for (std::size_t k = 0; k < idx.size(); ++k)
      if (idx[k] < plain.n_features) kept_idx.push_back(idx[k]), kept_val.push_back(val[k]);
    EXPECT_EQ(kept_idx, std::vector<std::int32_t>(plain.row_indices(i).begin(), plain.row_indices(i).end()));
    EXPECT_EQ(kept_val, std::vector<float>(plain.row_values(i).begin(), plain.row_values(i).end()));
  }
}

TEST(TextEmbeddings, EmptyCorpusGivesNoGroupAndSaysSo) {
  TempDir dir;
  const std::string path = dir.write("items.csv", "item_id,name,energy\na,,0.5\nb,?,0.7\n");
  IdMap items = ids({});
  ItemFeatureReport report;
  const FeatureMatrix m = build_item_features(path, items, text_options(8), &report);
  EXPECT_EQ(std::count(m.groups.begin(), m.groups.end(), "text"), 0);
  const FeatureGroupReport* g = group(report, "text");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->features, 0);
  EXPECT_NE(report.summary().find("no text embeddings"), std::string::npos) << report.summary();
  const TextEmbeddings e = train_text_embeddings({{}, {}}, TextEmbeddingOptions{}, "x");
  EXPECT_EQ(e.dim, 0);
  EXPECT_EQ(e.documents_without_words, 2);
}

TEST(TextEmbeddings, RejectsBadOptions) {
  TempDir dir;
  const std::string path = dir.write("items.csv", kClusters);
  for (const std::int32_t dim : {-1, 1025}) {
    IdMap items = ids({"a1"});
    EXPECT_THROW(build_item_features(path, items, text_options(dim)), UsageError) << dim;
    EXPECT_EQ(items.size(), 1);  // untouched
  }
  IdMap items = ids({});
  ItemFeatureOptions no_epochs = text_options(4);
  no_epochs.text_epochs = 0;
  EXPECT_THROW(build_item_features(path, items, no_epochs), UsageError);
  TextEmbeddingOptions o;
  o.dim = 0;
  EXPECT_THROW(train_text_embeddings({{"word"}}, o, "x"), UsageError);
}

// Points TMPDIR at an empty directory for one test and restores it after.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::filesystem::path& dir) {
    if (const char* old = std::getenv("TMPDIR")) saved_ = old;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (saved_) ::setenv("TMPDIR", saved_->c_str(), 1);
    else ::unsetenv("TMPDIR");
  }

 private:
  std::optional<std::string> saved_;
};

// fastText's own failure (here: every word below min_count, an empty
// vocabulary) is an InputError naming the source; the corpus file is removed on
// that path too.
TEST(TextEmbeddings, FastTextErrorsNameTheFileAndLeaveNoTempFile) {
  TempDir dir;
  ScopedTmpdir tmpdir(dir.path());
  TextEmbeddingOptions o;
  o.dim = 4;
  o.min_count = 1000;
  const InputError error = testing::expect_input_error([&] { train_text_embeddings({{"rock", "pop"}}, o, "items.csv"); });
  EXPECT_EQ(error.file(), "items.csv");
  EXPECT_EQ(error.field(), "text");
  EXPECT_NE(std::string(error.what()).find("fastText"), std::string::npos) << error.what();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(TextEmbeddings, TrainingPrintsNothingAndLeavesNoTempFile) {
  TempDir dir;
  ScopedTmpdir tmpdir(dir.path());
  TextEmbeddingOptions o;
  o.dim = 4;
  o.epochs = 1;
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const TextEmbeddings e = train_text_embeddings({{"rock", "pop"}, {}}, o, "items.csv");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  EXPECT_EQ(e.has_vector, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(e.vocabulary, 2);
  EXPECT_EQ(e.tokens, 2);
  EXPECT_EQ(e.documents_without_words, 1);
}

}  // namespace
}  // namespace segue
