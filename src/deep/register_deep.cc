// The deep models of segue_torch join the registry here, in one of two ways:
// the CLI opens this code as a module (libsegue_deep.so) when a spec or model
// file first names a deep model and calls segue_deep_module_init; the torch
// tests and benches link it statically and call register_deep_models() at
// start-up. Either way libtorch gets the runtime's settings first. A new deep
// model adds one line here and one in models/deep_module.cc's name list.
#include <malloc.h>

#include <algorithm>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "audio/embedder.h"
#include "deep/audio_embedding.h"
#include "deep/gru4rec.h"
#include "deep/lightgcn.h"
#include "deep/multvae.h"
#include "deep/neumf.h"
#include "deep/sasrec.h"
#include "deep/torch_model.h"
#include "models/deep_module.h"
#include "models/runtime.h"

namespace segue {
namespace {

// libtorch's process-wide settings from the runtime options (models/runtime.h).
void configure_torch(const RuntimeOptions& options) {
  const int threads = options.threads > 0 ? options.threads
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  // Every thread running a torch kernel picks this count up on its first parallel region.
  torch::set_num_threads(threads);
  if (options.keep_freed_memory_for_torch) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
}

}  // namespace

std::vector<ModelInfo> deep_model_infos() {
  return {multvae_info(), multdae_info(), lightgcn_info(), neumf_info(), sasrec_info(), gru4rec_info()};
}

void register_deep_models() {
  static std::once_flag once;
  std::call_once(once, [] {
    configure_torch(runtime_options());
    for (ModelInfo& info : deep_model_infos()) register_model(std::move(info));
    audio::register_audio_embedder(audio::cnn_audio_embedder());  // `segue audio embed` (audio/embedder.h)
  });
}

}  // namespace segue

extern "C" __attribute__((visibility("default"))) int segue_deep_module_init(int version) {
  if (version != segue::kDeepModuleVersion) return 1;
  try {
    segue::register_deep_models();
  } catch (const std::exception&) {
    return 2;
  }
  return 0;
}
