#include "deep/audio_cnn.h"

#include <algorithm>
#include <cmath>

#include "audio/spectrum.h"
#include "data/error.h"
#include "io/model_file.h"

namespace segue::audio {
namespace {

torch::nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

constexpr float kLogFloor = 1e-8f;
constexpr const char* kConfigSection = "audio_cnn.config";

}  // namespace

ResBlockImpl::ResBlockImpl(std::int64_t in, std::int64_t out)
    : conv1(register_module("conv1", conv(in, out, 3, 2))),
      conv2(register_module("conv2", conv(out, out, 3, 1))),
      shortcut(register_module("shortcut", conv(in, out, 1, 2))),
      bn1(register_module("bn1", torch::nn::BatchNorm2d(out))),
      bn2(register_module("bn2", torch::nn::BatchNorm2d(out))),
      bn_shortcut(register_module("bn_shortcut", torch::nn::BatchNorm2d(out))) {}

torch::Tensor ResBlockImpl::forward(const torch::Tensor& x) {
  const torch::Tensor main = bn2(conv2(torch::relu(bn1(conv1(x)))));
  return torch::relu(main + bn_shortcut(shortcut(x)));
}

AudioCnnImpl::AudioCnnImpl(const AudioCnnConfig& c) : config(c) {
  input_bn = register_module("input_bn", torch::nn::BatchNorm2d(1));
  const std::int64_t w = c.width;
  const std::int64_t channels[] = {w, w, 2 * w, 2 * w, 2 * w, 2 * w, 4 * w};
  blocks = torch::nn::Sequential();
  std::int64_t in = 1;
  for (std::int64_t out : channels) {
    blocks->push_back(ResBlock(in, out));
    in = out;
  }
  register_module("blocks", blocks);
  dense1 = register_module("dense1", torch::nn::Linear(in, in));
  dense_bn = register_module("dense_bn", torch::nn::BatchNorm1d(in));
  dense2 = register_module("dense2", torch::nn::Linear(in, c.embedding_dim));
}

namespace {

torch::Tensor pooled(AudioCnnImpl& net, const torch::Tensor& log_mel) {
  const torch::Tensor x = net.blocks->forward(net.input_bn(log_mel));
  return std::get<0>(x.flatten(2).max(2));  // max over the remaining frequency × time cells
}

}  // namespace

torch::Tensor AudioCnnImpl::forward(const torch::Tensor& log_mel) {
  const torch::Tensor x = dense2(torch::relu(dense_bn(dense1(pooled(*this, log_mel)))));
  return torch::nn::functional::normalize(x, torch::nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor AudioCnnImpl::representation(const torch::Tensor& log_mel) {
  return torch::nn::functional::normalize(pooled(*this, log_mel), torch::nn::functional::NormalizeFuncOptions().dim(1));
}

LogMel::LogMel(const AudioCnnConfig& config)
    : config_(config),
      filters_(mel_filter_bank(static_cast<int>(config.n_mels), static_cast<int>(config.n_fft),
                               static_cast<double>(config.sample_rate), 0.0, config.sample_rate / 2.0)) {}

std::vector<float> LogMel::operator()(std::span<const float> signal) const {
  const Spectrogram spectrum = stft_magnitude(signal, static_cast<double>(config_.sample_rate),
                                              static_cast<int>(config_.n_fft), static_cast<int>(config_.hop));
  std::vector<float> mel = mel_spectrogram(spectrum, filters_, static_cast<int>(config_.n_mels));
  for (float& v : mel) v = 10.0f * std::log10(v + kLogFloor);
  return mel;
}

torch::Tensor log_mel_chunks(std::span<const float> log_mel, const AudioCnnConfig& config) {
  const std::int64_t frames = static_cast<std::int64_t>(log_mel.size()) / config.n_mels;
  const std::int64_t per_chunk = config.chunk_frames();
  const std::int64_t chunks = std::max<std::int64_t>(1, frames / per_chunk);
  torch::Tensor out = torch::full({chunks, 1, config.n_mels, per_chunk}, 10.0f * std::log10(kLogFloor));
  const std::int64_t copied = std::min(frames, chunks * per_chunk);
  // frames × mels → chunks of [mels, frames]
  const torch::Tensor source =
      torch::from_blob(const_cast<float*>(log_mel.data()), {frames, config.n_mels}, torch::kFloat).narrow(0, 0, copied);
  if (copied == chunks * per_chunk) {
    out.copy_(source.reshape({chunks, per_chunk, config.n_mels}).transpose(1, 2).unsqueeze(1));
  } else {  // one short chunk
    out.narrow(3, 0, copied).copy_(source.t().unsqueeze(0).unsqueeze(0));
  }
  return out;
}

std::vector<float> embed_signal(AudioCnn& net, const LogMel& log_mel, std::span<const float> signal,
                                EmbeddingLayer layer) {
  std::vector<float> padded;
  if (static_cast<std::int64_t>(signal.size()) < net->config.chunk_samples) {
    padded.assign(signal.begin(), signal.end());
    padded.resize(static_cast<std::size_t>(net->config.chunk_samples), 0.0f);
    signal = padded;
  }
  const torch::Tensor chunks = log_mel_chunks(log_mel(signal), net->config);
  torch::NoGradGuard no_grad;
  net->eval();
  constexpr std::int64_t kBatch = 32;  // bounds the activations' memory on long tracks
  torch::Tensor sum;
  for (std::int64_t begin = 0; begin < chunks.size(0); begin += kBatch) {
    const torch::Tensor batch = chunks.narrow(0, begin, std::min(kBatch, chunks.size(0) - begin));
    const torch::Tensor rows = layer == EmbeddingLayer::kPooled ? net->representation(batch) : net->forward(batch);
    sum = sum.defined() ? sum + rows.sum(0) : rows.sum(0);
  }
  const torch::Tensor mean = torch::nn::functional::normalize(sum, torch::nn::functional::NormalizeFuncOptions().dim(0));
  return std::vector<float>(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
}

namespace {

std::vector<std::int64_t> config_values(const AudioCnnConfig& c) {
  return {c.sample_rate, c.n_fft, c.hop, c.n_mels, c.chunk_samples, c.width, c.embedding_dim};
}

std::vector<std::pair<std::string, torch::Tensor>> named_state(torch::nn::Module& module) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : module.named_parameters(true)) out.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers(true)) out.emplace_back(item.key(), item.value());
  return out;
}

}  // namespace

void save_audio_cnn(const std::string& path, AudioCnn& net) {
  ModelWriter out(path);
  out.put_string("audio_cnn.kind", "short-chunk CNN audio embedding");
  out.put(kConfigSection, config_values(net->config));
  for (const auto& [name, tensor] : named_state(*net)) {
    const torch::Tensor cpu = tensor.detach().to(torch::kCPU, torch::kFloat).contiguous();
    out.put("audio_cnn.tensor." + name,
            std::span<const float>(cpu.data_ptr<float>(), static_cast<std::size_t>(cpu.numel())));
    out.put("audio_cnn.shape." + name, std::vector<std::int64_t>(cpu.sizes().begin(), cpu.sizes().end()));
  }
  out.commit();
}

AudioCnn load_audio_cnn(const std::string& path) {
  const ModelReader in(path);
  if (!in.has(kConfigSection)) in.fail(kConfigSection, "not an audio CNN model file (segue audio train-embedding writes one)");
  const std::vector<std::int64_t> v = in.get<std::int64_t>(kConfigSection, 7);
  const AudioCnnConfig config{v[0], v[1], v[2], v[3], v[4], v[5], v[6]};
  for (std::int64_t value : v)
    if (value <= 0) in.fail(kConfigSection, "a hyper-parameter is not positive");
  if (config.n_fft < 16 || (config.n_fft & (config.n_fft - 1)) != 0 || config.width > 1024 ||
      config.embedding_dim > 65536 || config.chunk_frames() < 128)
    in.fail(kConfigSection, "hyper-parameters out of range");
  AudioCnn net(config);
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : named_state(*net)) {
    const std::vector<std::int64_t> shape = in.get<std::int64_t>("audio_cnn.shape." + name);
    if (shape != std::vector<std::int64_t>(tensor.sizes().begin(), tensor.sizes().end()))
      in.fail("audio_cnn.shape." + name, "tensor shape differs from the model's");
    std::vector<float> values = in.get<float>("audio_cnn.tensor." + name, static_cast<std::uint64_t>(tensor.numel()));
    for (float x : values)
      if (!std::isfinite(x)) in.fail("audio_cnn.tensor." + name, "a value is not finite");
    tensor.copy_(torch::from_blob(values.data(), tensor.sizes(), torch::kFloat).to(tensor.dtype()));
  }
  net->eval();
  return net;
}

}  // namespace segue::audio
