// The core's door to the CNN audio embeddings, which live in the deep-model
// module (src/deep/audio_embedding.cc, libtorch): the module fills in this
// table of function pointers when it registers its models, and the CLI asks
// for it with audio_embedder(), which opens the module first. So `segue audio
// embed` works in the libtorch build while the core never links libtorch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace segue::audio {

struct EmbeddingTrainOptions {
  std::vector<std::string> inputs;  // audio files and directories (searched recursively)
  std::string out;                  // model file to write
  int epochs = 40;                  // an epoch: every training track once as an anchor
  int batch_tracks = 16;            // tracks per batch (two excerpts each)
  std::uint64_t seed = 42;
  bool skip_bad_files = false;      // leave out files that fail to decode (listed in the summary) instead of failing
  std::function<void(const std::string&)> report;  // one line per stage and epoch (may be empty)
};

struct EmbeddingTrainSummary {
  std::int64_t tracks = 0;
  std::vector<std::string> skipped;  // errors of the files left out (skip_bad_files)
  double audio_seconds = 0.0;
  int epochs = 0;
  double final_loss = 0.0;
  double seconds = 0.0;  // wall time of the whole run
};

// One L2-normalised embedding per file: the mean of its chunks' embeddings, re-normalised.
struct TrackEmbeddings {
  std::vector<std::string> files;
  int dim = 0;
  std::vector<float> values;  // files × dim
  double audio_seconds = 0.0;
  double embed_seconds = 0.0;  // CNN and spectrogram time (decoding excluded)
};

struct AudioEmbedder {
  EmbeddingTrainSummary (*train)(const EmbeddingTrainOptions& options) = nullptr;
  TrackEmbeddings (*embed)(const std::string& model_path, const std::vector<std::string>& inputs) = nullptr;
};

// Called by the deep module as it registers (and by programs linked with segue_torch).
void register_audio_embedder(const AudioEmbedder& embedder);

// The registered embedder; opens the deep-model module when none is yet.
// UsageError when this segue was built without libtorch or the module cannot be opened.
const AudioEmbedder& audio_embedder();

}  // namespace segue::audio
