// The short-chunk CNN of the audio embeddings (after Won et al. 2020,
// "Evaluation of CNN-based automatic music tagging models", short-chunk
// ResNet): 3 s of 16 kHz mono → 128-band log-mel spectrogram (512-point STFT,
// hop 256: 188 frames) → batch-normalised input → 7 residual blocks (3×3
// convs, BN, ReLU, stride 2; channels w, w, 2w, 2w, 2w, 2w, 4w with w = 32 by
// default, a quarter of Won's widths so it trains on two CPU cores) → max over
// what is left of time and frequency → a two-layer head → L2-normalised
// embedding. The model file records these hyper-parameters with the tensors.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace segue::audio {

struct AudioCnnConfig {
  std::int64_t sample_rate = 16000;
  std::int64_t n_fft = 512;
  std::int64_t hop = 256;
  std::int64_t n_mels = 128;
  std::int64_t chunk_samples = 48000;  // 3 s
  std::int64_t width = 32;             // channels of the first block
  std::int64_t embedding_dim = 128;

  std::int64_t chunk_frames() const { return 1 + chunk_samples / hop; }  // centred STFT frames
  bool operator==(const AudioCnnConfig&) const = default;
};

// Won et al.'s Res_2d: relu(bn(conv(relu(bn(conv_s2(x))))) + shortcut(x)), the
// shortcut a strided 1×1 conv + BN (always needed: every block halves the size).
struct ResBlockImpl : torch::nn::Module {
  ResBlockImpl(std::int64_t in, std::int64_t out);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, shortcut{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn_shortcut{nullptr};
};
TORCH_MODULE(ResBlock);

struct AudioCnnImpl : torch::nn::Module {
  explicit AudioCnnImpl(const AudioCnnConfig& config);
  // [n, 1, n_mels, frames] log-mel chunks → [n, embedding_dim], unit rows.
  torch::Tensor forward(const torch::Tensor& log_mel);
  // The representation under the projection head (SimCLR's h, which serves
  // other tasks better than the z the loss sees): the max-pooled last block,
  // [n, channels of the last block], unit rows.
  torch::Tensor representation(const torch::Tensor& log_mel);

  AudioCnnConfig config;
  torch::nn::BatchNorm2d input_bn{nullptr};
  torch::nn::Sequential blocks{nullptr};
  torch::nn::Linear dense1{nullptr}, dense2{nullptr};
  torch::nn::BatchNorm1d dense_bn{nullptr};
};
TORCH_MODULE(AudioCnn);

// Log-mel spectrogram in dB (10 log10(power + 1e-8)), Slaney mel filters over
// 0 .. rate / 2 (audio/spectrum.h): frames × n_mels floats.
class LogMel {
 public:
  explicit LogMel(const AudioCnnConfig& config);
  std::vector<float> operator()(std::span<const float> signal) const;

 private:
  AudioCnnConfig config_;
  std::vector<float> filters_;
};

// A batch tensor [chunks, 1, n_mels, chunk_frames] from a frames × n_mels
// log-mel matrix: consecutive, non-overlapping chunks; a last partial chunk
// is kept only when it is the only one (padded with the floor value).
torch::Tensor log_mel_chunks(std::span<const float> log_mel, const AudioCnnConfig& config);

// The model file (io/model_file.h): "audio_cnn.config" (the fields above,
// in order), then each parameter and buffer as "audio_cnn.tensor.NAME" with
// its shape in "audio_cnn.shape.NAME".
void save_audio_cnn(const std::string& path, AudioCnn& net);
// InputError naming the file when it is not an audio CNN model file.
AudioCnn load_audio_cnn(const std::string& path);

enum class EmbeddingLayer {
  kProjection,  // the head's output, what the contrastive loss compares (embedding_dim values)
  kPooled,      // the representation under the head (AudioCnnImpl::representation)
};

// One track's embedding: its chunks' embeddings averaged and re-normalised
// (eval mode, no gradients). A signal shorter than a chunk is zero-padded.
std::vector<float> embed_signal(AudioCnn& net, const LogMel& log_mel, std::span<const float> signal,
                                EmbeddingLayer layer = EmbeddingLayer::kProjection);

}  // namespace segue::audio
