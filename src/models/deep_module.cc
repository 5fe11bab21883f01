#include "models/deep_module.h"

#include <dlfcn.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>

#include "data/error.h"
#include "models/runtime.h"

namespace segue {
namespace {

// Kept in step with the *_info() summaries in src/deep (a torch test compares them).
constexpr std::array<DeepModelName, 6> kDeepModels{{
    {"gru4rec", "GRU4Rec: a GRU over the recent item sequence, sampled softmax or BPR-max loss (Hidasi et al. 2016, 2018)"},
    {"lightgcn", "LightGCN: embeddings averaged over normalised graph propagation layers, BPR loss (He et al. 2020)"},
    {"multdae", "Mult-DAE: denoising autoencoder with a multinomial likelihood (Liang et al. 2018)"},
    {"multvae",
     "Mult-VAE: variational autoencoder with a multinomial likelihood, KL annealing (Liang et al. 2018)"},
    {"neumf", "NeuMF: GMF and MLP towers on sampled negatives, binary cross-entropy (He et al. 2017)"},
    {"sasrec", "SASRec: causal self-attention over the recent item sequence (Kang & McAuley 2018)"},
}};

// The shared object this code was linked into (the Python extension _segue),
// or "" when it is part of the executable.
std::string host_shared_object() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&host_shared_object), &info) == 0 || info.dli_fname == nullptr) return "";
  const std::string name = info.dli_fname;
  return name.find(".so") != std::string::npos ? name : "";
}

std::string module_path() {
  if (const char* path = std::getenv("SEGUE_DEEP_MODULE"); path != nullptr && *path != '\0') return path;
#ifdef SEGUE_DEEP_MODULE_FILE
  // Inside the Python extension, the module lies next to it (the package directory).
  if (const std::string host = host_shared_object(); !host.empty())
    return (std::filesystem::path(host).parent_path() / SEGUE_DEEP_MODULE_FILE).string();
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) return (self.parent_path() / SEGUE_DEEP_MODULE_FILE).string();
  return SEGUE_DEEP_MODULE_FILE;  // the loader's search path
#else
  return "";
#endif
}

// Opens the module and calls its entry point; returns why not, or "" on success.
std::string open_module() {
  const std::string path = module_path();
  if (path.empty())
    return "this segue was built without libtorch (apt-get install libtorch-dev, then cmake -DSEGUE_TORCH=ON; "
           "docs/DEEP.md)";
  const RuntimeOptions options = runtime_options();
  // GNU OpenMP reads the policy once, when it loads — which is now, with libtorch.
  if (options.passive_openmp) setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
  // The module resolves segue's symbols in the global scope: the executable's,
  // or those of the extension that holds segue_core, which Python opened with
  // RTLD_LOCAL; promote it (its symbols are exported for exactly this).
  if (const std::string host = host_shared_object(); !host.empty())
    if (dlopen(host.c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_GLOBAL) == nullptr)
      return "its host " + host + " could not be made global: " + dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  const std::string where = "its module " + path + " ";
  if (handle == nullptr) {
    const char* reason = dlerror();
    return where + "could not be loaded: " + (reason != nullptr ? reason : "unknown reason") +
           " (build the target segue_deep, or set SEGUE_DEEP_MODULE to its path)";
  }
  // Never closed: the models' code and vtables must outlive every model.
  const auto init = reinterpret_cast<DeepModuleInit>(dlsym(handle, kDeepModuleEntry));
  if (init == nullptr) return where + "has no entry point " + kDeepModuleEntry;
  const int status = init(kDeepModuleVersion);
  if (status == 1) return where + "is from another build of segue (interface version differs)";
  if (status != 0) return where + "failed to register its models";
  return "";
}

}  // namespace

std::span<const DeepModelName> deep_model_names() { return kDeepModels; }

bool is_deep_model_name(std::string_view name) {
  for (const DeepModelName& model : kDeepModels)
    if (model.name == name) return true;
  return false;
}

namespace {

// Why the module could not be opened ("" when it was): tried once per process.
const std::string& module_failure() {
  static std::once_flag once;
  static std::string failure;
  std::call_once(once, [] { failure = open_module(); });
  return failure;
}

}  // namespace

void load_deep_models(std::string_view model_name) {
  if (const std::string& failure = module_failure(); !failure.empty())
    throw UsageError("model: '" + std::string(model_name) + "' is a deep model, and " + failure);
}

void load_deep_module(std::string_view feature) {
  if (const std::string& failure = module_failure(); !failure.empty())
    throw UsageError(std::string(feature) + " need libtorch, and " + failure);
}

}  // namespace segue
