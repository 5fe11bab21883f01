// `segue audio`: listening to the music itself. `analyze` computes descriptors
// from audio files (src/audio); `embed` and `train-embedding` (the CNN, in the
// deep-model module) are added by add_audio_embed_commands.
#include "cli/audio_analyze.h"
#include "cli/audio_embed_command.h"
#include "cli/commands.h"

namespace segue::cli {

void add_audio_command(CLI::App& app) {
  CLI::App* audio = app.add_subcommand("audio", "Analyse audio files: tempo, beats, loudness, key, chords, timbre; CNN embeddings");
  audio->require_subcommand(1);
  add_audio_analyze_command(*audio);
  add_audio_embed_commands(*audio);
}

}  // namespace segue::cli
