// The deep models' model-file loaders under damage. Debian's libtorch headers
// do not compile with clang 14 in C++20, so these loaders have no libFuzzer
// target (docs/RELIABILITY.md); instead each real saved deep model
// (tests/fixtures/deep_model_files, written by fuzz/make_corpus.py) is loaded
// after many seeded random mutations, half of them with the header's payload
// size and crc32 rewritten so the damage reaches the tensor sections. Every
// damaged file must load, or be refused with an InputError naming it (or a
// UsageError); a loaded one must answer recommend, fold-in and similar items.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "data/error.h"
#include "io/model_file.h"
#include "models/recommender.h"

namespace segue {
namespace {

std::vector<char> read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void fix_header(std::vector<char>& bytes) {
  constexpr std::size_t kHeader = 32;  // magic, version, sections, u64 payload at 16, u32 crc at 24
  if (bytes.size() < kHeader) return;
  const std::uint64_t payload = bytes.size() - kHeader;
  const auto crc = static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data() + kHeader), payload));
  std::memcpy(bytes.data() + 16, &payload, 8);
  std::memcpy(bytes.data() + 24, &crc, 4);
}

TEST(DeepModelFileMutation, DamagedFilesLoadOrAreRefusedClearly) {
  const std::filesystem::path dir = std::filesystem::path(SEGUE_SOURCE_DIR) / "tests/fixtures/deep_model_files";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::vector<char> original = read_bytes(entry.path());
    ASSERT_GT(original.size(), 64u) << entry.path();
    {  // the undamaged file loads
      auto bytes = std::make_shared<std::vector<char>>(original);
      const ModelReader reader(entry.path().string(), *bytes, bytes);
      ASSERT_NO_THROW(Recommender::load(reader)) << entry.path();
    }
    std::mt19937_64 rng(std::hash<std::string>{}(entry.path().filename().string()));
    int loaded = 0, refused = 0;
    for (int round = 0; round < 400; ++round) {
      auto bytes = std::make_shared<std::vector<char>>(original);
      const int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % bytes->size();
        switch (rng() % 4) {
          case 0: (*bytes)[at] = static_cast<char>(rng()); break;                       // a random byte
          case 1: (*bytes)[at] ^= static_cast<char>(1u << (rng() % 8)); break;          // a flipped bit
          case 2: std::memset(bytes->data() + at, 0xFF, std::min<std::size_t>(4, bytes->size() - at)); break;
          default: bytes->resize(at); break;                                           // truncation
        }
        if (bytes->empty()) bytes->push_back('\0');
      }
      if (round % 2 == 0) fix_header(*bytes);
      const std::string label = entry.path().filename().string() + " round " + std::to_string(round);
      std::unique_ptr<Recommender> model;
      try {
        const ModelReader reader(label, *bytes, bytes);
        model = Recommender::load(reader);
      } catch (const InputError& error) {
        EXPECT_FALSE(error.file().empty()) << error.what();
        ++refused;
        continue;
      } catch (const UsageError&) {
        ++refused;
        continue;
      }
      ++loaded;
      try {
        for (std::int32_t user = 0; user < std::min(model->n_users(), 2); ++user) (void)model->recommend(user, 5);
        if (model->n_items() > 0) {
          const std::vector<std::int32_t> items = {0, model->n_items() - 1};
          (void)model->recommend_from_history(items, {}, 5);
          (void)model->similar_items(0, 5);
        }
      } catch (const UsageError&) {
      }
    }
    std::printf("[mutation] %-16s %d damaged files: %d loaded, %d refused\n",
                entry.path().filename().c_str(), loaded + refused, loaded, refused);
    ++files;
  }
  EXPECT_EQ(files, 6);  // neumf, multvae, multdae, lightgcn, gru4rec, sasrec
}

}  // namespace
}  // namespace segue
