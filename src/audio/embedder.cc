#include "audio/embedder.h"

#include <mutex>

#include "data/error.h"
#include "models/deep_module.h"

namespace segue::audio {
namespace {

std::mutex mutex;
AudioEmbedder registered;

}  // namespace

void register_audio_embedder(const AudioEmbedder& embedder) {
  std::lock_guard lock(mutex);
  registered = embedder;
}

const AudioEmbedder& audio_embedder() {
  {
    std::lock_guard lock(mutex);
    if (registered.train != nullptr) return registered;
  }
  load_deep_module("audio embeddings");  // its init calls register_audio_embedder
  std::lock_guard lock(mutex);
  if (registered.train == nullptr || registered.embed == nullptr)
    throw UsageError("audio embeddings: the deep-model module registered no audio embedder (a module from another build?)");
  return registered;
}

}  // namespace segue::audio
