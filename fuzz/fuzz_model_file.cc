// Model files: the ModelReader (header, crc, section table) and every model's
// load_model, then the loaded model answering (recommend, fold-in, similar
// items, explain), which finds arrays a loader accepted but should not have.
// Seeds are real saved models (fuzz/corpus/model_file, fuzz/make_corpus.sh).
// For inputs of even length the harness rewrites the header's payload size
// and crc32 to match, so mutations reach the sections instead of stopping at
// the checksum; odd lengths keep the header as it is, to fuzz those checks too.
#include <zlib.h>

#include <cstring>
#include <memory>
#include <vector>

#include "data/error.h"
#include "io/model_file.h"
#include "models/recommender.h"

namespace {

constexpr std::size_t kHeaderBytes = 32;  // magic[8], u32 version, u32 sections, u64 payload, u32 crc32, u32 0

void fix_header(std::vector<char>& bytes) {
  if (bytes.size() < kHeaderBytes) return;
  const std::uint64_t payload = bytes.size() - kHeaderBytes;
  const std::uint32_t crc = static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data() + kHeaderBytes), payload));
  std::memcpy(bytes.data() + 16, &payload, 8);
  std::memcpy(bytes.data() + 24, &crc, 4);
}

void exercise(const segue::Recommender& model) {
  const std::int32_t n = 5;
  for (std::int32_t user = 0; user < std::min(model.n_users(), 3); ++user) (void)model.recommend(user, n);
  if (model.n_items() > 0) {
    const std::vector<std::int32_t> items = {0, model.n_items() - 1};
    (void)model.recommend_from_history(items, {}, n);
    (void)model.similar_items(0, n);
    if (model.n_users() > 0) (void)model.explain(0, model.n_items() - 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto bytes = std::make_shared<std::vector<char>>(data, data + size);
  if (size % 2 == 0) fix_header(*bytes);
  std::unique_ptr<segue::Recommender> model;
  try {
    const segue::ModelReader reader("fuzz.model", std::span<const char>(bytes->data(), bytes->size()), bytes);
    model = segue::Recommender::load(reader);
  } catch (const segue::InputError& error) {
    if (error.file().empty()) {
      std::fprintf(stderr, "segue fuzz: an InputError without a file name: %s\n", error.what());
      std::abort();
    }
    return 0;
  } catch (const segue::UsageError&) {
    return 0;  // e.g. a deep model in a build without libtorch
  }
  try {
    exercise(*model);
  } catch (const segue::UsageError&) {
    // A clear refusal of a request the loaded model cannot answer (e.g. ials with reg=0 cannot fold in).
  }
  return 0;
}
