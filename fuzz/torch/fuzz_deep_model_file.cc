// The deep models' model files (neumf, multvae, multdae, lightgcn, gru4rec,
// sasrec): TorchModel's tensor sections and each model's own, then the loaded
// model answering, as fuzz_model_file does for the others (crc fixed up for
// even-length inputs). Built with -DSEGUE_FUZZ_TORCH=ON (not in CI: libtorch's
// headers make a slow build); seeds in fuzz/corpus/deep_model_file.
#include <zlib.h>

#include <cstring>
#include <memory>
#include <vector>

#include "data/error.h"
#include "deep/torch_model.h"
#include "io/model_file.h"
#include "models/recommender.h"

namespace {

constexpr std::size_t kHeaderBytes = 32;

void fix_header(std::vector<char>& bytes) {
  if (bytes.size() < kHeaderBytes) return;
  const std::uint64_t payload = bytes.size() - kHeaderBytes;
  const std::uint32_t crc = static_cast<std::uint32_t>(
      crc32_z(crc32_z(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data() + kHeaderBytes), payload));
  std::memcpy(bytes.data() + 16, &payload, 8);
  std::memcpy(bytes.data() + 24, &crc, 4);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  segue::register_deep_models();
  return 0;
}

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
    return 0;
  }
  try {
    const std::int32_t n = 5;
    for (std::int32_t user = 0; user < std::min(model->n_users(), 2); ++user) (void)model->recommend(user, n);
    if (model->n_items() > 0) {
      const std::vector<std::int32_t> items = {0, model->n_items() - 1};
      (void)model->recommend_from_history(items, {}, n);
      (void)model->similar_items(0, n);
    }
  } catch (const segue::UsageError&) {
  }
  return 0;
}
