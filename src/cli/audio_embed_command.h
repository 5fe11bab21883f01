// `segue audio train-embedding` and `segue audio embed`: the CNN audio
// embeddings, run by the deep-model module (audio/embedder.h).
#pragma once

#include <CLI/CLI.hpp>

namespace segue::cli {

void add_audio_embed_commands(CLI::App& audio);

}  // namespace segue::cli
