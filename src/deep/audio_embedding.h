// Training the short-chunk CNN (deep/audio_cnn.h) by metric learning on
// unlabelled recordings, and the functions the deep module registers for
// `segue audio train-embedding` and `segue audio embed` (audio/embedder.h).
//
// Objective: NT-Xent / InfoNCE (Chen et al. 2020, SimCLR). A batch holds B
// distinct tracks; each gives two excerpts cut at independent random places
// and augmented independently (deep/audio_augment.h). For each of the 2B
// embeddings the other excerpt of its track is the positive and the 2B − 2
// excerpts of the other tracks are the negatives: cross-entropy over cosine
// similarities / temperature.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "audio/embedder.h"
#include "deep/audio_augment.h"
#include "deep/audio_cnn.h"

namespace segue::audio {

struct AudioCnnTraining {
  AudioCnnConfig config;
  int epochs = 40;          // an epoch: every track once as an anchor, in shuffled batches
  int batch_tracks = 16;
  double learning_rate = 1e-3;
  double temperature = 0.1;
  std::uint64_t seed = 42;
  AugmentOptions augment;
  std::function<void(const std::string&)> report;  // one line per epoch (may be empty)
};

struct TrainedAudioCnn {
  AudioCnn net{nullptr};  // eval mode
  std::vector<double> epoch_loss;
};

// tracks: mono at config.sample_rate, at least two. Deterministic for a seed
// with one libtorch thread.
TrainedAudioCnn train_audio_cnn(const std::vector<std::vector<float>>& tracks, const AudioCnnTraining& options);

// NT-Xent over z = [view A of tracks 0..B-1; view B of tracks 0..B-1], unit rows.
torch::Tensor nt_xent_loss(const torch::Tensor& z, double temperature);

// What register_deep_models hands to register_audio_embedder.
AudioEmbedder cnn_audio_embedder();

}  // namespace segue::audio
