// Tests of the binary dataset store: exact round trips, every corruption case
// reported as an InputError naming the file, and the atomic-save rules.
#include "data/store.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <nlohmann/json.hpp>

#include "data/dataset_builder.h"
#include "data/error.h"
#include "data/store_format.h"
#include "test_util.h"

namespace segue {
namespace {

using testing::expect_input_error;

namespace fs = std::filesystem;
using nlohmann::json;
using testing::read_file;
using testing::TempDir;

// A small dataset that sets every optional part of the data model.
Dataset full_dataset() {
  DatasetBuilder b;
  const int device = b.context_column("device", /*categorical=*/true);
  const int hour = b.context_column("hour", /*categorical=*/false);
  const auto alice = b.user("alice");
  const auto bob = b.user("bob");
  const auto carol = b.user("carol");
  const auto t1 = b.item("track:1");
  const auto t2 = b.item("track:2");
  const auto t3 = b.item("track:3");
  const auto s1 = b.session("s1");
  const auto s2 = b.session("s2");
  const auto skip = b.event_code("skip");
  const auto like = b.event_code("like");
  b.add({.user = alice, .item = t1, .weight = 2.5f, .time = 1000, .event = 0, .session = s1, .position = 0});
  b.set_context(device, "phone");
  b.set_context(hour, 13.0f);
  b.add({.user = bob, .item = t2, .weight = 1.0f, .time = kNoTime, .event = skip});
  b.set_context(device, "");
  b.add({.user = alice, .item = t3, .weight = 3.0f, .time = 1200, .event = like, .session = s1, .position = 1});
  b.set_context(device, "desktop");
  b.set_context(hour, 7.5f);
  b.add({.user = carol, .item = t2, .weight = 0.5f, .time = 1300, .event = 0, .session = s2, .position = 0});
  b.set_user_string("name", alice, "Alice \xE2\x9C\x93");
  b.set_user_number("age", bob, 31.0f);
  b.set_item_string("artist", t1, "Bj\xC3\xB6rk");
  b.set_item_string("album", t3, "Homogenic");
  b.set_item_number("tempo", t3, 120.5f);
  b.set_item_number("energy", t1, 0.25f);
  b.add_item_tag(t1, "rock", 3.0f);
  b.add_item_tag(t1, "pop");
  b.add_item_tag(t3, "rock");
  b.add_friend(alice, bob);
  b.add_friend(bob, carol);
  return b.finish("test: hand-made, every feature");
}

// Floats compared bit for bit, so NaN (missing) must round-trip as NaN.
std::vector<std::uint32_t> bits(std::span<const float> values) {
  std::vector<std::uint32_t> out;
  for (float v : values) out.push_back(std::bit_cast<std::uint32_t>(v));
  return out;
}

void expect_same_attributes(const Attributes& a, const Attributes& b) {
  ASSERT_EQ(a.strings.size(), b.strings.size());
  for (std::size_t i = 0; i < a.strings.size(); ++i) {
    EXPECT_EQ(a.strings[i].name, b.strings[i].name);
    EXPECT_EQ(a.strings[i].values, b.strings[i].values);
  }
  ASSERT_EQ(a.numbers.size(), b.numbers.size());
  for (std::size_t i = 0; i < a.numbers.size(); ++i) {
    EXPECT_EQ(a.numbers[i].name, b.numbers[i].name);
    EXPECT_EQ(bits(a.numbers[i].values), bits(b.numbers[i].values));
  }
  EXPECT_EQ(a.tags.vocab, b.tags.vocab);
  EXPECT_EQ(a.tags.indptr, b.tags.indptr);
  EXPECT_EQ(a.tags.tokens, b.tags.tokens);
  EXPECT_EQ(bits(a.tags.counts), bits(b.tags.counts));
}

void expect_same(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.users, b.users);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.sessions, b.sessions);
  EXPECT_EQ(a.event_names, b.event_names);
  EXPECT_EQ(bits(a.event_signal), bits(b.event_signal));
  EXPECT_EQ(a.source, b.source);
  const Interactions& x = a.interactions;
  const Interactions& y = b.interactions;
  EXPECT_EQ(x.n_users, y.n_users);
  EXPECT_EQ(x.n_items, y.n_items);
  EXPECT_EQ(x.indptr, y.indptr);
  EXPECT_EQ(x.items, y.items);
  EXPECT_EQ(bits(x.weights), bits(y.weights));
  EXPECT_EQ(x.timestamps, y.timestamps);
  EXPECT_EQ(x.events, y.events);
  EXPECT_EQ(x.sessions, y.sessions);
  EXPECT_EQ(x.positions, y.positions);
  ASSERT_EQ(x.context.size(), y.context.size());
  for (std::size_t i = 0; i < x.context.size(); ++i) {
    EXPECT_EQ(x.context[i].name, y.context[i].name);
    EXPECT_EQ(x.context[i].categorical, y.context[i].categorical);
    EXPECT_EQ(x.context[i].vocab, y.context[i].vocab);
    EXPECT_EQ(x.context[i].codes, y.context[i].codes);
    EXPECT_EQ(bits(x.context[i].values), bits(y.context[i].values));
  }
  expect_same_attributes(a.user_attributes, b.user_attributes);
  expect_same_attributes(a.item_attributes, b.item_attributes);
  EXPECT_EQ(a.friends.indptr, b.friends.indptr);
  EXPECT_EQ(a.friends.neighbors, b.friends.neighbors);
}

// Runs `body`, which must throw InputError; returns it for inspection.
void overwrite(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

template <class T>
void patch(const std::string& path, std::size_t offset, T value) {
  std::string bytes = read_file(path);
  ASSERT_GE(bytes.size(), offset + sizeof(T));
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
  overwrite(path, bytes);
}

json read_meta(const std::string& dir) { return json::parse(read_file(dir + "/meta.json")); }
void write_meta(const std::string& dir, const json& meta) { overwrite(dir + "/meta.json", meta.dump(2)); }

json& manifest_entry(json& meta, const std::string& name) {
  for (json& entry : meta["arrays"])
    if (entry["name"] == name) return entry;
  throw std::runtime_error("no manifest entry " + name);
}

// Replaces an array's payload and fixes its checksum in the header and the
// manifest, so that only the content checks can object.
void rewrite_payload(const std::string& dir, const std::string& name, const std::string& payload) {
  const std::string path = dir + "/" + name + ".bin";
  std::string bytes = read_file(path).substr(0, store::kHeaderSize) + payload;
  const std::uint32_t crc = store::payload_crc32(payload.data(), payload.size());
  std::memcpy(bytes.data() + store::kCrcOffset, &crc, sizeof(crc));
  overwrite(path, bytes);
  json meta = read_meta(dir);
  manifest_entry(meta, name)["crc32"] = crc;
  write_meta(dir, meta);
}

// Entries in `dir` other than `keep`: leftovers of a save (temp or old dirs).
std::vector<std::string> entries_except(const fs::path& dir, const std::string& keep) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename() != keep) out.push_back(entry.path().filename().string());
  return out;
}

class StoreCorruption : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.file("store");
    save_dataset(full_dataset(), dir_);
  }
  std::string file(const std::string& name) const { return dir_ + "/" + name; }
  InputError load_error() const {
    return expect_input_error([&] { load_dataset(dir_); });
  }

  TempDir tmp_;
  std::string dir_;
};

TEST(StoreRoundTrip, EveryFeatureSurvivesExactly) {
  const Dataset original = full_dataset();
  // The fixture must really use every feature, or the round trip proves little.
  ASSERT_FALSE(original.interactions.weights.empty());
  ASSERT_FALSE(original.interactions.timestamps.empty());
  ASSERT_FALSE(original.interactions.events.empty());
  ASSERT_FALSE(original.interactions.sessions.empty());
  ASSERT_FALSE(original.interactions.positions.empty());
  ASSERT_EQ(original.interactions.context.size(), 2u);
  ASSERT_EQ(original.event_names.size(), 3u);
  ASSERT_FALSE(original.user_attributes.strings.empty());
  ASSERT_FALSE(original.user_attributes.numbers.empty());
  ASSERT_EQ(original.item_attributes.strings.size(), 2u);
  ASSERT_EQ(original.item_attributes.numbers.size(), 2u);
  ASSERT_FALSE(original.item_attributes.tags.tokens.empty());
  ASSERT_EQ(original.friends.edges(), 4);

  TempDir tmp;
  save_dataset(original, tmp.file("store"));
  const Dataset loaded = load_dataset(tmp.file("store"));
  expect_same(original, loaded);
  EXPECT_TRUE(std::isnan(loaded.item_attributes.find_number("tempo")->values[0]));
  EXPECT_EQ(loaded.interactions.context[0].codes[2], -1);  // alice's 2 events, then bob's missing device
}

TEST(StoreRoundTrip, InteractionsAreMappedInPlaceAndOutliveTheStore) {
  const Dataset original = full_dataset();
  TempDir tmp;
  const std::string dir = tmp.file("store");
  save_dataset(original, dir);
  Dataset loaded = load_dataset(dir);
  const Interactions& y = loaded.interactions;
  EXPECT_TRUE(y.indptr.borrowed());
  EXPECT_TRUE(y.items.borrowed());
  EXPECT_TRUE(y.weights.borrowed());
  EXPECT_TRUE(y.timestamps.borrowed());
  EXPECT_TRUE(y.positions.borrowed());

  // The mapping lives as long as the arrays: removing or replacing the store does not touch a loaded dataset.
  fs::remove_all(dir);
  save_dataset(DatasetBuilder().finish("replacement"), dir);
  expect_same(original, loaded);

  // A copy owns its arrays; a write copies first and never reaches the file.
  const Dataset copy = loaded;
  EXPECT_FALSE(copy.interactions.items.borrowed());
  expect_same(original, copy);
  save_dataset(original, dir);
  Dataset again = load_dataset(dir);
  const std::int32_t first = again.interactions.items[0];
  again.interactions.items.at_mut(0) = first == 0 ? 1 : 0;
  EXPECT_FALSE(again.interactions.items.borrowed());
  EXPECT_EQ(load_dataset(dir).interactions.items[0], first);
}

TEST(StoreRoundTrip, EmptyDataset) {
  TempDir tmp;
  const Dataset empty = DatasetBuilder().finish("");
  save_dataset(empty, tmp.file("store"));
  const Dataset loaded = load_dataset(tmp.file("store"));
  expect_same(empty, loaded);
  EXPECT_EQ(loaded.n_users(), 0);
  EXPECT_EQ(loaded.interactions.size(), 0);
}

TEST(StoreRoundTrip, DefaultConstructedDataset) {
  TempDir tmp;
  const Dataset empty;
  save_dataset(empty, tmp.file("store"));
  expect_same(empty, load_dataset(tmp.file("store")));
}

TEST(StoreRoundTrip, WritesTheDocumentedLayout) {
  TempDir tmp;
  save_dataset(full_dataset(), tmp.file("store"));
  const json meta = read_meta(tmp.file("store"));
  EXPECT_EQ(meta["format"], "segue-dataset");
  EXPECT_EQ(meta["store_version"], kStoreVersion);
  EXPECT_EQ(meta["counts"]["interactions"], 4);
  EXPECT_EQ(meta["events"][1]["name"], "skip");
  EXPECT_EQ(meta["events"][1]["signal"], -1.0);
  const std::string header = read_file(tmp.file("store/interactions.items.bin")).substr(0, store::kHeaderSize);
  EXPECT_EQ(header.substr(0, 8), "SEGUEARR");
  std::uint64_t count = 0;
  std::memcpy(&count, header.data() + store::kCountOffset, sizeof(count));
  EXPECT_EQ(count, 4u);
  EXPECT_EQ(read_file(tmp.file("store/interactions.items.bin")).size(), store::kHeaderSize + 4 * sizeof(std::int32_t));
}

TEST(StoreRoundTrip, IsDatasetDirOnlyForStores) {
  TempDir tmp;
  save_dataset(full_dataset(), tmp.file("store"));
  EXPECT_TRUE(is_dataset_dir(tmp.file("store")));
  EXPECT_FALSE(is_dataset_dir(tmp.path().string()));
  EXPECT_FALSE(is_dataset_dir(tmp.file("missing")));
  tmp.write("other/meta.json", "{\"format\": \"something-else\"}");
  EXPECT_FALSE(is_dataset_dir(tmp.file("other")));
  tmp.write("broken/meta.json", "{not json");
  EXPECT_FALSE(is_dataset_dir(tmp.file("broken")));
}

TEST_F(StoreCorruption, FlippedPayloadByteIsAChecksumMismatch) {
  const std::string path = file("interactions.items.bin");
  std::string bytes = read_file(path);
  bytes[store::kHeaderSize] ^= 0x01;
  overwrite(path, bytes);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.field(), "interactions.items");
  EXPECT_NE(error.reason().find("checksum mismatch"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, TruncatedPayloadNamesTheFile) {
  const std::string path = file("interactions.timestamps.bin");
  const std::string bytes = read_file(path);
  overwrite(path, bytes.substr(0, bytes.size() - 3));
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.field(), "interactions.timestamps");
  EXPECT_NE(error.reason().find("truncated"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, TruncatedHeaderNamesTheFile) {
  const std::string path = file("users.offsets.bin");
  overwrite(path, read_file(path).substr(0, 10));
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_NE(error.reason().find("truncated"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, ChangedMagicIsNotASegueFile) {
  const std::string path = file("users.arena.bin");
  patch<char>(path, store::kMagicOffset, 'X');
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.field(), "users.arena");
  EXPECT_NE(error.reason().find("magic"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, NewerVersionInArrayHeader) {
  const std::string path = file("item.tags.counts.bin");
  patch<std::uint32_t>(path, store::kVersionOffset, 2);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_NE(error.reason().find("store version 2; this build reads up to 1"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, NewerVersionInMetaJson) {
  json meta = read_meta(dir_);
  meta["store_version"] = 2;
  write_meta(dir_, meta);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("meta.json"));
  EXPECT_EQ(error.field(), "store_version");
  EXPECT_NE(error.reason().find("store version 2; this build reads up to 1"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, DeletedArrayFileNamesIt) {
  const std::string path = file("item.tags.tokens.bin");
  fs::remove(path);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(error.field(), "item.tags.tokens");
  EXPECT_NE(error.reason().find("missing"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, GarbageMetaJson) {
  overwrite(file("meta.json"), "{\n  \"format\": \"segue-dataset\",\n  garbage");
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("meta.json"));
  EXPECT_EQ(error.line(), 3u);
  EXPECT_NE(error.reason().find("not valid JSON"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, NumberTooLargeForADoubleInMetaJson) {
  // json::parse throws out_of_range (not parse_error) for 1e400: it once escaped as std::terminate (fuzz_store, CI).
  overwrite(file("meta.json"), "{\n  \"format\": \"segue-dataset\",\n  \"store_version\": 297544e355\n}");
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("meta.json"));
  EXPECT_NE(error.reason().find("not valid JSON"), std::string::npos) << error.what();
  EXPECT_NE(error.reason().find("number overflow"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, ForeignMetaJsonIsNotAStore) {
  overwrite(file("meta.json"), "{\"format\": \"parquet\"}");
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("meta.json"));
  EXPECT_NE(error.reason().find("not a segue dataset store"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, DeletedMetaJson) {
  fs::remove(file("meta.json"));
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("meta.json"));
  EXPECT_NE(error.reason().find("missing meta.json"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, MetaCountDisagreesWithTheArrays) {
  json meta = read_meta(dir_);
  meta["counts"]["users"] = 4;
  write_meta(dir_, meta);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("users.offsets.bin"));
  EXPECT_NE(error.reason().find("inconsistent counts"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, HeaderCountDisagreesWithTheManifest) {
  const std::string path = file("interactions.weights.bin");
  patch<std::uint64_t>(path, store::kCountOffset, 3);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_NE(error.reason().find("inconsistent counts"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, AbsurdCountIsTruncationNotACrash) {
  // Header and manifest agree on 2^60 elements: only the file size can tell.
  constexpr std::uint64_t kAbsurd = std::uint64_t{1} << 60;
  const std::string path = file("item.tags.counts.bin");
  patch<std::uint64_t>(path, store::kCountOffset, kAbsurd);
  json meta = read_meta(dir_);
  manifest_entry(meta, "item.tags.counts")["count"] = kAbsurd;
  write_meta(dir_, meta);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), path);
  EXPECT_NE(error.reason().find("truncated"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, ValidChecksumButOutOfRangeIdFailsValidation) {
  // A well-formed file with a bad item id: the dataset check must catch it.
  std::string payload = read_file(file("interactions.items.bin")).substr(store::kHeaderSize);
  const std::int32_t bad_item = 99;
  std::memcpy(payload.data(), &bad_item, sizeof(bad_item));
  rewrite_payload(dir_, "interactions.items", payload);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), dir_);
  EXPECT_NE(error.reason().find("inconsistent dataset"), std::string::npos) << error.what();
  EXPECT_NE(error.reason().find("out of range"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, StringOffsetsPastTheArenaAreRejected) {
  // Column "artist" of 3 items: offsets jump far past the arena, then come back.
  const std::string arena = read_file(file("item.strings.0.arena.bin")).substr(store::kHeaderSize);
  const std::vector<std::uint64_t> offsets{0, 1000, 5, arena.size()};
  rewrite_payload(dir_, "item.strings.0.offsets",
                  std::string(reinterpret_cast<const char*>(offsets.data()), offsets.size() * sizeof(std::uint64_t)));
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("item.strings.0.offsets.bin"));
  EXPECT_EQ(error.field(), "item.strings.0");
  EXPECT_NE(error.reason().find("offsets decrease"), std::string::npos) << error.what();
}

TEST_F(StoreCorruption, ManifestCannotPointOutsideTheStore) {
  json meta = read_meta(dir_);
  manifest_entry(meta, "users.arena")["file"] = "../elsewhere.bin";
  write_meta(dir_, meta);
  const InputError error = load_error();
  EXPECT_EQ(error.file(), file("meta.json"));
  EXPECT_EQ(error.field(), "arrays.users.arena.file");
}

TEST(StoreLoad, MissingDirectory) {
  TempDir tmp;
  const InputError error = expect_input_error([&] { load_dataset(tmp.file("nowhere")); });
  EXPECT_EQ(error.file(), tmp.file("nowhere"));
  EXPECT_NE(error.reason().find("no such dataset directory"), std::string::npos);
}

TEST(StoreSave, RefusesToOverwriteAForeignDirectory) {
  TempDir tmp;
  const std::string notes = tmp.write("mine/notes.txt", "precious");
  const InputError error = expect_input_error([&] { save_dataset(full_dataset(), tmp.file("mine")); });
  EXPECT_EQ(error.file(), tmp.file("mine"));
  EXPECT_NE(error.reason().find("refusing to overwrite"), std::string::npos) << error.what();
  EXPECT_EQ(read_file(notes), "precious");
  EXPECT_TRUE(entries_except(tmp.path(), "mine").empty());
}

TEST(StoreSave, RefusesToOverwriteAFile) {
  TempDir tmp;
  const std::string path = tmp.write("data.csv", "user,item\n");
  const InputError error = expect_input_error([&] { save_dataset(full_dataset(), path); });
  EXPECT_EQ(error.file(), path);
  EXPECT_EQ(read_file(path), "user,item\n");
}

TEST(StoreSave, OverwritesAnExistingStore) {
  TempDir tmp;
  const std::string dir = tmp.file("store");
  save_dataset(full_dataset(), dir);
  const Dataset replacement = DatasetBuilder().finish("replacement");
  save_dataset(replacement, dir + "/");  // a trailing slash names the same store
  const Dataset loaded = load_dataset(dir);
  expect_same(replacement, loaded);
  EXPECT_FALSE(fs::exists(dir + "/context.0.codes.bin"));  // nothing of the old store is left inside
  EXPECT_TRUE(entries_except(tmp.path(), "store").empty());  // nor beside it
}

TEST(StoreSave, CreatesMissingParentDirectories) {
  TempDir tmp;
  save_dataset(full_dataset(), tmp.file("a/b/store"));
  EXPECT_TRUE(is_dataset_dir(tmp.file("a/b/store")));
  EXPECT_TRUE(entries_except(tmp.path() / "a" / "b", "store").empty());
}

TEST(StoreSave, IntoAnEmptyDirectory) {
  TempDir tmp;
  fs::create_directory(tmp.file("store"));
  save_dataset(full_dataset(), tmp.file("store"));
  expect_same(full_dataset(), load_dataset(tmp.file("store")));
}

TEST(StoreSave, FailureMidwayLeavesNoDirectory) {
  // Arrays are written first; meta.json then fails on a name that is not UTF-8.
  TempDir tmp;
  Dataset dataset = full_dataset();
  dataset.item_attributes.strings[0].name = "bad\xFF";
  EXPECT_THROW(save_dataset(dataset, tmp.file("store")), std::invalid_argument);
  EXPECT_FALSE(fs::exists(tmp.file("store")));
  EXPECT_TRUE(entries_except(tmp.path(), "store").empty());
}

TEST(StoreSave, FailureMidwayKeepsTheOldStore) {
  TempDir tmp;
  save_dataset(full_dataset(), tmp.file("store"));
  Dataset dataset = DatasetBuilder().finish("bad\xFF source");
  EXPECT_THROW(save_dataset(dataset, tmp.file("store")), std::invalid_argument);
  expect_same(full_dataset(), load_dataset(tmp.file("store")));
  EXPECT_TRUE(entries_except(tmp.path(), "store").empty());
}

TEST(StoreSave, RefusesAnInconsistentDataset) {
  TempDir tmp;
  Dataset dataset = full_dataset();
  dataset.interactions.items.at_mut(0) = 42;
  EXPECT_THROW(save_dataset(dataset, tmp.file("store")), std::invalid_argument);
  EXPECT_FALSE(fs::exists(tmp.file("store")));
}

}  // namespace
}  // namespace segue
