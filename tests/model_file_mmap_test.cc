// Tests of model files read in place: version-2 alignment, zero-copy views that
// outlive their reader, version-1 files, damaged files (naming file and
// section), nested models (blend, mmr) saved and loaded with no temp file, and
// EASE's pruned sparse form against a hand-pruned dense B.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "data/error.h"
#include "features/feature_matrix.h"
#include "models/linear/ease.h"
#include "io/model_file.h"
#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "test_util.h"

namespace segue {
namespace {

using segue::testing::TempDir;

// ---- the format, read independently of ModelReader (docs/MODELS.md) ----

struct RawSection {
  std::string name;
  std::uint32_t dtype = 0;
  std::uint64_t count = 0;
  std::size_t record_at = 0;  // where its name length starts
  std::size_t data_at = 0;
  std::size_t data_bytes = 0;
};

template <class T>
T read_raw(const std::string& bytes, std::size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

std::size_t element_size(std::uint32_t dtype) { return dtype == 1 ? 1 : (dtype == 2 || dtype == 5) ? 4 : 8; }

std::vector<RawSection> raw_sections(const std::string& bytes) {
  const auto version = read_raw<std::uint32_t>(bytes, 8);
  const auto n = read_raw<std::uint32_t>(bytes, 12);
  std::vector<RawSection> out;
  std::size_t at = 32;
  for (std::uint32_t s = 0; s < n; ++s) {
    RawSection section;
    section.record_at = at;
    const auto length = read_raw<std::uint32_t>(bytes, at);
    section.name = bytes.substr(at + 4, length);
    at += 4 + length;
    section.dtype = read_raw<std::uint32_t>(bytes, at);
    section.count = read_raw<std::uint64_t>(bytes, at + 4);
    at += 12;
    if (version >= 2) at = (at + 63) / 64 * 64;
    section.data_at = at;
    section.data_bytes = section.count * element_size(section.dtype);
    at += section.data_bytes;
    out.push_back(section);
  }
  return out;
}

void fix_crc(std::string& bytes) {
  const auto crc = static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()) + 32, bytes.size() - 32));
  std::memcpy(bytes.data() + 24, &crc, 4);
}

// The same sections as a version-1 file: no padding, so most sections are
// misaligned (the name lengths are odd on purpose in these tests).
std::string as_version_1(const std::string& v2) {
  std::string out = v2.substr(0, 32);
  for (const RawSection& s : raw_sections(v2)) {
    out += v2.substr(s.record_at, 4 + s.name.size() + 12);
    out += v2.substr(s.data_at, s.data_bytes);
  }
  const std::uint32_t version = 1;
  const std::uint64_t payload = out.size() - 32;
  std::memcpy(out.data() + 8, &version, 4);
  std::memcpy(out.data() + 16, &payload, 8);
  fix_crc(out);
  return out;
}

const RawSection& raw_section(const std::vector<RawSection>& sections, const std::string& name) {
  for (const RawSection& s : sections)
    if (s.name == name) return s;
  throw std::logic_error("no section " + name);
}

// ---- fixtures ----

FeedbackMatrix random_feedback(std::int32_t users, std::int32_t items, double density, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < users; ++u) {
    entries.push_back({u, static_cast<std::int32_t>(rng() % static_cast<std::uint32_t>(items)), 1.0f});
    for (std::int32_t i = 0; i < items; ++i)
      if (coin(rng) < density) entries.push_back({u, i, static_cast<float>(1 + rng() % 9)});
  }
  return build_feedback(users, items, entries);
}

std::unique_ptr<Recommender> fitted(const std::string& spec, const FeedbackMatrix& train,
                                    const FeatureMatrix* features = nullptr) {
  auto model = make_recommender(spec);
  FitContext context;
  context.item_features = features;
  model->fit(train, context);
  return model;
}

std::vector<float> scores(const Recommender& model, std::int32_t user) {
  std::vector<float> out(static_cast<std::size_t>(model.n_items()));
  model.score_users(std::span<const std::int32_t>(&user, 1), out.data());
  return out;
}

FeatureMatrix tag_features(std::int32_t items) {
  FeatureMatrix m;
  m.n_rows = items;
  m.n_features = 3;
  m.groups = {"tag"};
  m.names = {"tag=a", "tag=b", "tag=c"};
  m.group_of = {0, 0, 0};
  m.described.assign(static_cast<std::size_t>(items), 1);
  for (std::int32_t i = 0; i < items; ++i) {
    m.indices.push_back(i % 3);
    m.values.push_back(1.0f);
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  m.validate();
  return m;
}

std::string write_sample(const std::string& path, std::uint32_t version) {
  ModelWriter out(path, version);
  out.put_string("s", "abc");
  out.put("floats", std::vector<float>{1.5f, -2.0f, 3.25f, 4.0f, 5.0f});
  out.put("doubles", std::vector<double>{0.5, 1e300, -7.0});
  out.put("ints", std::vector<std::int32_t>{7, -8, 9});
  out.put("longs", std::vector<std::int64_t>{1LL << 40, -3});
  out.put_scalar<std::uint64_t>("u", 42);
  out.put_strings("names", {"x", "", "yz\n"});
  out.commit();
  return path;
}

void expect_sample(const ModelReader& in) {
  const auto floats = in.view<float>("floats");
  EXPECT_EQ(std::vector<float>(floats.begin(), floats.end()), (std::vector<float>{1.5f, -2.0f, 3.25f, 4.0f, 5.0f}));
  const auto doubles = in.view<double>("doubles", 3);
  EXPECT_EQ(std::vector<double>(doubles.begin(), doubles.end()), (std::vector<double>{0.5, 1e300, -7.0}));
  EXPECT_EQ(in.get<std::int32_t>("ints"), (std::vector<std::int32_t>{7, -8, 9}));
  const auto longs = in.view<std::int64_t>("longs");
  EXPECT_EQ(std::vector<std::int64_t>(longs.begin(), longs.end()), (std::vector<std::int64_t>{1LL << 40, -3}));
  EXPECT_EQ(in.get_scalar<std::uint64_t>("u"), 42u);
  EXPECT_EQ(in.view_string("s"), "abc");
  EXPECT_EQ(in.get_strings("names"), (std::vector<std::string>{"x", "", "yz\n"}));
  for (const char* name : {"floats", "doubles", "longs"}) {
    const void* data = std::string_view(name) == "floats"    ? static_cast<const void*>(in.view<float>(name).data())
                       : std::string_view(name) == "doubles" ? static_cast<const void*>(in.view<double>(name).data())
                                                             : static_cast<const void*>(in.view<std::int64_t>(name).data());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(data) % 8, 0u) << name;  // views are always aligned for their type
  }
}

// ---- the file ----

TEST(ModelFileMmap_Layout, Version2SectionsStartOn64ByteBoundaries) {
  TempDir dir;
  const std::string path = write_sample(dir.file("v2.segue"), kModelFileVersion);
  const ModelReader in(path);
  EXPECT_EQ(in.version(), 2u);
  expect_sample(in);
  const std::string bytes = segue::testing::read_file(path);
  for (const RawSection& s : raw_sections(bytes)) EXPECT_EQ(s.data_at % 64, 0u) << s.name;
  // In place: the views point into the file's own bytes, which are mapped page-aligned.
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(in.bytes().data()) % 4096, 0u);
  const auto floats = in.view<float>("floats");
  const auto at = static_cast<std::size_t>(reinterpret_cast<const char*>(floats.data()) - in.bytes().data());
  EXPECT_EQ(at, raw_section(raw_sections(bytes), "floats").data_at);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(floats.data()) % 64, 0u);
}

TEST(ModelFileMmap_Layout, Version1FilesStillLoad) {
  TempDir dir;
  const std::string path = write_sample(dir.file("v1.segue"), 1);
  const ModelReader in(path);
  EXPECT_EQ(in.version(), 1u);
  expect_sample(in);
  // The same sections, converted by hand, read the same.
  const std::string v1 = as_version_1(segue::testing::read_file(write_sample(dir.file("v2.segue"), 2)));
  EXPECT_EQ(v1, segue::testing::read_file(path));
}

TEST(ModelFileMmap_Views, OutliveTheirReaderThroughTheOwner) {
  TempDir dir;
  const std::string path = write_sample(dir.file("v.segue"), kModelFileVersion);
  std::span<const float> floats;
  ModelFileOwner owner;
  {
    const ModelReader in(path);
    floats = in.view<float>("floats");
    owner = in.owner();
  }
  std::filesystem::remove(path);  // the mapping does not need the name
  EXPECT_EQ(std::vector<float>(floats.begin(), floats.end()), (std::vector<float>{1.5f, -2.0f, 3.25f, 4.0f, 5.0f}));
}

TEST(ModelFileMmap_Views, ReleasingScannedPagesKeepsTheData) {
  TempDir dir;
  const std::string path = dir.file("big.segue");
  std::vector<float> values(3'000'000);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i % 1000) * 0.5f;
  {
    ModelWriter out(path);
    out.put("values", values);
    out.commit();
  }
  const ModelReader in(path);
  const auto view = in.view<float>("values", values.size());
  in.release(view);
  EXPECT_TRUE(std::equal(view.begin(), view.end(), values.begin()));
  EXPECT_EQ(in.get<float>("values"), values);  // a copy releases the pages it read, too
  EXPECT_TRUE(std::equal(view.begin(), view.end(), values.begin()));
}

TEST(ModelFileMmap_Damage, TruncatedCorruptAndMalformedFilesNameFileAndSection) {
  TempDir dir;
  const std::string good = write_sample(dir.file("good.segue"), kModelFileVersion);
  const std::string bytes = segue::testing::read_file(good);
  auto error_of = [&](const std::string& name, const std::string& content) {
    const std::string path = dir.write(name, content);
    const InputError e = segue::testing::expect_input_error([&] { ModelReader in(path); });
    EXPECT_EQ(e.file(), path);
    return e;
  };
  EXPECT_NE(std::string(error_of("cut.segue", bytes.substr(0, bytes.size() - 5)).what()).find("truncated"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("header.segue", bytes.substr(0, 20)).what()).find("truncated"), std::string::npos);
  EXPECT_NE(std::string(error_of("empty.segue", "").what()).find("not a segue model file"), std::string::npos);
  std::string flipped = bytes;
  flipped[raw_section(raw_sections(bytes), "floats").data_at + 1] ^= 0x10;
  EXPECT_NE(std::string(error_of("crc.segue", flipped).what()).find("crc32"), std::string::npos);
  // A section whose count runs past the end, with a valid crc: the section is named.
  std::string long_section = bytes;
  const std::uint64_t huge = 1'000'000;
  const RawSection ints = raw_section(raw_sections(bytes), "ints");
  std::memcpy(long_section.data() + ints.record_at + 4 + ints.name.size() + 4, &huge, 8);
  fix_crc(long_section);
  const InputError e = error_of("long.segue", long_section);
  EXPECT_EQ(e.field(), "ints");
  // Wrong type or length of a good file's section: named, through view and get alike.
  const ModelReader in(good);
  EXPECT_EQ(segue::testing::expect_input_error([&] { in.view<std::int32_t>("floats"); }).field(), "floats");
  EXPECT_EQ(segue::testing::expect_input_error([&] { in.view<float>("floats", 4); }).field(), "floats");
  EXPECT_EQ(segue::testing::expect_input_error([&] { in.get<float>("nope", 1); }).field(), "nope");
  EXPECT_EQ(segue::testing::expect_input_error([&] { in.get_scalar<std::int32_t>("ints"); }).field(), "ints");
  EXPECT_EQ(segue::testing::expect_input_error([&] { in.nested("s"); }).file(), good + "[s]");
}

// Found by fuzz_model_file (a heap overflow in bpr's fold-in under ASan): a file whose factor length
// disagreed with its own spec (bpr:factors=5 over vectors of 5 = 4 + bias) loaded, and the fold-in indexed
// rows by the spec. The spec is rewritten in place (same length) and the crc fixed, so only that differs.
// Found by fuzz_model_file (an uncaught std::out_of_range): get_strings checked each pair of offsets only when
// it reached it, so [0, 2^25, 2^25, 3] took a substring at 2^25 of a 3-byte blob before seeing the descent.
TEST(ModelFileMmap_Damage, StringOffsetsPastTheBytesAreRefused) {
  TempDir dir;
  const std::string path = dir.file("strings.segue");
  {
    ModelWriter out(path);
    out.put("names.offsets", std::vector<std::int64_t>{0, 1 << 25, 1 << 25, 3});
    out.put_string("names.bytes", "abc");
    out.commit();
  }
  const ModelReader in(path);
  const InputError e = segue::testing::expect_input_error([&] { in.get_strings("names"); });
  EXPECT_EQ(e.field(), "names.offsets");
  EXPECT_NE(std::string(e.what()).find("not ascending"), std::string::npos) << e.what();
}

TEST(ModelFileMmap_Damage, FactorsThatDisagreeWithTheSpecAreRefused) {
  TempDir dir;
  std::vector<FeedbackEntry> entries;
  for (std::int32_t u = 0; u < 6; ++u)
    for (std::int32_t k = 0; k < 3; ++k) entries.push_back({u, (u + 2 * k) % 7, 1.0f});
  for (const std::string name : {"bpr", "ials"}) {
    auto model = make_recommender(name + ":factors=4,seed=3");
    model->fit(build_feedback(6, 7, entries));
    const std::string path = dir.file(name + ".segue");
    model->save(path);
    std::string bytes = segue::testing::read_file(path);
    const std::size_t at = bytes.find("factors=4");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 8] = '5';
    fix_crc(bytes);
    const std::string bad = dir.write(name + "-bad.segue", bytes);
    const InputError e = segue::testing::expect_input_error([&] { Recommender::load(bad); });
    EXPECT_EQ(e.field(), name + ".factors") << e.what();
    EXPECT_NE(std::string(e.what()).find("make vectors of"), std::string::npos) << e.what();
  }
}

TEST(ModelFileMmap_Damage, ASectionNameTwiceIsRefusedOnWriteAndOnRead) {
  TempDir dir;
  ModelWriter twice(dir.file("twice.segue"));
  twice.put("ints", std::vector<std::int32_t>{1});
  EXPECT_THROW(twice.put("ints", std::vector<std::int32_t>{2}), std::logic_error);
  // A good file with its one-letter section "u" renamed "s" (crc fixed): the reader must not let the second
  // "s" shadow the first.
  const std::string good = write_sample(dir.file("good.segue"), kModelFileVersion);
  std::string bytes = segue::testing::read_file(good);
  const RawSection u = raw_section(raw_sections(bytes), "u");
  ASSERT_EQ(u.name.size(), 1u);
  bytes.replace(u.record_at + 4, 1, "s");  // "u" becomes a second "s"
  fix_crc(bytes);
  const std::string path = dir.write("dup.segue", bytes);
  const InputError e = segue::testing::expect_input_error([&] { ModelReader in(path); });
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.field(), "s");
  EXPECT_NE(std::string(e.what()).find("twice"), std::string::npos) << e.what();
}

TEST(ModelFileMmap_Damage, ANonFiniteHistoryValueIsRefusedOnLoad) {
  const FeedbackMatrix train = random_feedback(20, 30, 0.2, 5);
  TempDir dir;
  const std::string good = dir.file("pop.segue");
  fitted("pop", train)->save(good);
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -1.0f}) {
    std::string bytes = segue::testing::read_file(good);
    const RawSection values = raw_section(raw_sections(bytes), "recommender.history.values");
    ASSERT_GT(values.data_bytes, 8u);
    std::memcpy(bytes.data() + values.data_at + 4, &bad, 4);  // the second entry
    fix_crc(bytes);
    const std::string path = dir.write("bad.segue", bytes);
    const InputError e = segue::testing::expect_input_error([&] { Recommender::load(path); });
    EXPECT_EQ(e.field(), "recommender.history.values") << bad;
    EXPECT_NE(std::string(e.what()).find("entry 1"), std::string::npos) << e.what();
  }
}

TEST(ModelFileMmap_Models, EaseAndItemKnnFromVersion1AndVersion2FilesScoreTheSame) {
  TempDir dir;
  const FeedbackMatrix train = random_feedback(40, 23, 0.2, 5);
  for (const char* spec : {"ease:lambda=3", "ease:lambda=3,prune=4", "itemknn", "ials:factors=5,iterations=2"}) {
    const auto model = fitted(spec, train);
    const std::string v2 = dir.file("v2.segue");
    model->save(v2);
    const std::string v1 = dir.write("v1.segue", as_version_1(segue::testing::read_file(v2)));
    const auto from_v1 = Recommender::load(v1);
    const auto from_v2 = Recommender::load(v2);
    for (std::int32_t u = 0; u < 40; ++u) {
      EXPECT_EQ(scores(*from_v1, u), scores(*model, u)) << spec << " user " << u;
      EXPECT_EQ(scores(*from_v2, u), scores(*model, u)) << spec << " user " << u;
    }
  }
}

TEST(ModelFileMmap_Models, EaseViewsTheMappedFile) {
  TempDir dir;
  const auto model = fitted("ease:lambda=2", random_feedback(30, 17, 0.3, 9));
  const std::string path = dir.file("ease.segue");
  model->save(path);
  const auto loaded = Recommender::load(path);
  const auto& ease = dynamic_cast<const Ease&>(*loaded);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(ease.weights().data()) % 64, 0u);
  std::filesystem::remove(path);
  const auto original = dynamic_cast<const Ease&>(*model).weights();
  EXPECT_TRUE(std::equal(ease.weights().begin(), ease.weights().end(), original.begin(), original.end()));
}

// ---- nested models ----

// Points TMPDIR at an empty directory for the scope, so a temp file shows.
class WatchedTempDir {
 public:
  explicit WatchedTempDir(const std::filesystem::path& path) : path_(path) {
    std::filesystem::create_directories(path_);
    if (const char* old = std::getenv("TMPDIR")) saved_ = old, had_ = true;
    ::setenv("TMPDIR", path_.c_str(), 1);
  }
  ~WatchedTempDir() {
    if (had_)
      ::setenv("TMPDIR", saved_.c_str(), 1);
    else
      ::unsetenv("TMPDIR");
  }
  std::size_t entries() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(path_), {}));
  }

 private:
  std::filesystem::path path_;
  std::string saved_;
  bool had_ = false;
};

TEST(ModelFileMmap_Nested, BlendAndMmrRoundTripWithNoTempFile) {
  TempDir dir;
  const FeedbackMatrix train = random_feedback(30, 12, 0.3, 3);
  const FeatureMatrix features = tag_features(12);
  const WatchedTempDir tmp(dir.path() / "tmp");
  ASSERT_EQ(std::filesystem::temp_directory_path(), dir.path() / "tmp");
  for (const char* spec : {"blend:cf_spec=ease:lambda=2,weight=0.4", "mmr:base_spec=ease:lambda=2;prune=3,lambda=0.5",
                           "mmr:base=itemknn,lambda=1,candidates=8"}) {
    const auto model = fitted(spec, train, &features);
    const std::string path = (dir.path() / "models" / "m.segue").string();
    std::filesystem::create_directories(dir.path() / "models");
    model->save(path);
    std::unique_ptr<Recommender> loaded = Recommender::load(path);
    EXPECT_EQ(tmp.entries(), 0u) << spec;
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path() / "models"), {}), 1) << spec;
    std::filesystem::remove(path);  // the inner model's views keep the mapping
    for (std::int32_t u = 0; u < 30; ++u) EXPECT_EQ(scores(*loaded, u), scores(*model, u)) << spec << " user " << u;
    // The inner file is aligned inside the outer one, so its views stay aligned.
    model->save(path);
    const std::string bytes = segue::testing::read_file(path);
    const std::string section = std::string(spec).rfind("blend", 0) == 0 ? "blend.cf_model" : "mmr.base_model";
    const RawSection inner = raw_section(raw_sections(bytes), section);
    EXPECT_EQ(inner.data_at % 64, 0u);
    for (const RawSection& s : raw_sections(bytes.substr(inner.data_at, inner.data_bytes)))
      EXPECT_EQ((inner.data_at + s.data_at) % 64, 0u) << s.name;
  }
}

TEST(ModelFileMmap_Nested, ADamagedInnerModelNamesTheOuterFileAndSection) {
  TempDir dir;
  const auto model = fitted("mmr:base=itemknn,lambda=1,candidates=8", random_feedback(20, 10, 0.3, 4));
  const std::string path = dir.file("mmr.segue");
  model->save(path);
  std::string bytes = segue::testing::read_file(path);
  const RawSection inner = raw_section(raw_sections(bytes), "mmr.base_model");
  bytes[inner.data_at + inner.data_bytes - 2] ^= 0x20;  // inside the inner payload: its crc fails
  fix_crc(bytes);                                       // the outer one passes
  const std::string damaged = dir.write("damaged.segue", bytes);
  const InputError e = segue::testing::expect_input_error([&] { Recommender::load(damaged); });
  EXPECT_EQ(e.file(), damaged);
  EXPECT_EQ(e.field(), "mmr.base_model");
  EXPECT_NE(std::string(e.what()).find("crc32"), std::string::npos) << e.what();
}

// ---- pruned EASE ----

// The reference: dense B with all but the `keep` largest |B[j][i]| of each row
// zeroed (ties: lower i), and scores Σ_j x_uj B'[j][i] in double.
std::vector<double> pruned_reference(std::span<const float> b, std::int32_t n, std::int32_t keep,
                                     const SparseRows& history, std::int32_t user) {
  std::vector<double> out(static_cast<std::size_t>(n), 0.0);
  for (std::int64_t k = history.indptr[user]; k < history.indptr[user + 1]; ++k) {
    const std::int32_t j = history.indices[static_cast<std::size_t>(k)];
    std::vector<std::pair<float, std::int32_t>> row;
    for (std::int32_t i = 0; i < n; ++i)
      if (i != j) row.push_back({b[static_cast<std::size_t>(j) * n + i], i});
    std::sort(row.begin(), row.end(), [](const auto& a, const auto& c) {
      return std::fabs(a.first) != std::fabs(c.first) ? std::fabs(a.first) > std::fabs(c.first) : a.second < c.second;
    });
    for (std::int32_t t = 0; t < keep; ++t) out[static_cast<std::size_t>(row[t].second)] += row[t].first;
  }
  return out;
}

TEST(ModelFileMmap_PrunedEase, KeepsKPerRowAndScoresAsTheHandPrunedDenseMatrix) {
  TempDir dir;
  const FeedbackMatrix train = random_feedback(50, 31, 0.15, 11);
  const auto dense = fitted("ease:lambda=4", train);
  const std::span<const float> b = dynamic_cast<const Ease&>(*dense).weights();
  for (std::int32_t keep : {1, 5, 12}) {
    const auto pruned = fitted("ease:lambda=4,prune=" + std::to_string(keep), train);
    const auto& ease = dynamic_cast<const Ease&>(*pruned);
    EXPECT_TRUE(ease.weights().empty());
    const Ease::SparseWeights& w = ease.pruned_weights();
    ASSERT_EQ(w.indptr.size(), 32u);
    for (std::size_t j = 0; j < 31; ++j) EXPECT_EQ(w.indptr[j + 1] - w.indptr[j], keep) << "row " << j;
    // Lists and scores equal the reference's; batch scoring agrees with one user at a time.
    std::vector<float> batch(50u * 31u);
    std::vector<std::int32_t> users(50);
    for (std::int32_t u = 0; u < 50; ++u) users[static_cast<std::size_t>(u)] = u;
    pruned->score_users(users, batch.data());
    for (std::int32_t u = 0; u < 50; ++u) {
      const std::vector<double> reference = pruned_reference(b, 31, keep, train.positives(), u);
      const std::vector<float> got = scores(*pruned, u);
      for (std::size_t i = 0; i < 31; ++i) {
        EXPECT_NEAR(got[i], reference[i], 1e-5) << "user " << u << " item " << i;
        EXPECT_EQ(batch[static_cast<std::size_t>(u) * 31 + i], got[i]);
      }
      std::vector<float> as_float(reference.begin(), reference.end());
      std::vector<ScoredItem> expected;
      top_k(as_float, pruned->history().row_indices(u), 10, expected);
      const auto list = pruned->recommend(u, 10);
      ASSERT_EQ(list.size(), expected.size());
      for (std::size_t r = 0; r < list.size(); ++r) EXPECT_NEAR(list[r].score, expected[r].score, 1e-5);
    }
    // Save/load: the same scores from a file holding only the sparse rows.
    const std::string path = dir.file("pruned.segue");
    pruned->save(path);
    const auto loaded = Recommender::load(path);
    for (std::int32_t u = 0; u < 50; ++u) EXPECT_EQ(scores(*loaded, u), scores(*pruned, u));
    EXPECT_EQ(loaded->similar_items(3, 5), pruned->similar_items(3, 5));
    EXPECT_EQ(loaded->explain(2, 7).contributions.size(), pruned->explain(2, 7).contributions.size());
    const ModelReader in(path);
    EXPECT_FALSE(in.has("ease.B"));
    EXPECT_EQ(in.view<float>("ease.pruned.values").size(), static_cast<std::size_t>(31 * keep));
  }
  // prune >= items − 1 keeps every weight: the dense scores.
  const auto all = fitted("ease:lambda=4,prune=100", train);
  for (std::int32_t u = 0; u < 50; ++u) {
    const auto got = scores(*all, u);
    const auto want = scores(*dense, u);
    for (std::size_t i = 0; i < 31; ++i) EXPECT_NEAR(got[i], want[i], 1e-5);
  }
}

TEST(ModelFileMmap_PrunedEase, ADenseFileUnderAPrunedSpecOrBadRowsAreInputErrors) {
  TempDir dir;
  const FeedbackMatrix train = random_feedback(20, 9, 0.3, 2);
  const auto pruned = fitted("ease:lambda=4,prune=3", train);
  const std::string path = dir.file("p.segue");
  pruned->save(path);
  std::string bytes = segue::testing::read_file(path);
  const RawSection indices = raw_section(raw_sections(bytes), "ease.pruned.indices");
  const std::int32_t bad = 99;
  std::memcpy(bytes.data() + indices.data_at, &bad, 4);
  fix_crc(bytes);
  const std::string damaged = dir.write("bad.segue", bytes);
  const InputError e = segue::testing::expect_input_error([&] { Recommender::load(damaged); });
  EXPECT_EQ(e.file(), damaged);
  EXPECT_EQ(e.field(), "ease.pruned.indices");
  EXPECT_THROW(make_recommender("ease:prune=-1"), UsageError);
}

}  // namespace
}  // namespace segue
