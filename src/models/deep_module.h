// The deep models (libtorch) live in a module, libsegue_deep.so next to the
// segue binary, opened only when a spec or a model file names one: loading
// libtorch costs ~1 s and ~150 MB, which every other command (and --help)
// should not pay. The names and one-line summaries are listed here, so help
// and error texts need no torch; a test of the torch build checks them
// against the registered models.
#pragma once

#include <span>
#include <string_view>

namespace segue {

struct DeepModelName {
  std::string_view name;
  std::string_view summary;
};

std::span<const DeepModelName> deep_model_names();
bool is_deep_model_name(std::string_view name);

// Registers the deep models, once: nothing when they are already registered
// (a program linked with segue_torch), else opens the module — the path in
// SEGUE_DEEP_MODULE, or libsegue_deep.so beside the executable — after
// ensure_runtime and setting OMP_WAIT_POLICY (RuntimeOptions::passive_openmp).
// UsageError when this segue was built without libtorch or the module cannot
// be opened (naming the path and the loader's reason); the same error again on
// later calls. Thread-safe.
void load_deep_models(std::string_view model_name);
// The same for a feature that is not a model but lives in the module too (the
// CNN audio embeddings, audio/embedder.h): the error names `feature`.
void load_deep_module(std::string_view feature);

// The module's one entry point (C linkage, found with dlsym): checks the
// interface version, applies runtime_options() to libtorch and registers the
// models (register_deep_models in src/deep/register_deep.cc). Returns 0; 1
// for a version mismatch (a module from another build); 2 when registering failed.
inline constexpr int kDeepModuleVersion = 1;
inline constexpr const char* kDeepModuleEntry = "segue_deep_module_init";
using DeepModuleInit = int (*)(int version);

}  // namespace segue
