// The model registry: name -> factory and declared parameters, so a spec
// string ("pop:decay_days=30") is all it takes to make any model.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/spec.h"

namespace segue {

class Recommender;

using ModelFactory = std::unique_ptr<Recommender> (*)(const ModelSpec& spec);

struct ModelInfo {
  std::string name;     // the spec name: "pop"
  std::string summary;  // one line for --help
  std::vector<ParamDecl> params;
  ModelFactory factory = nullptr;
  // What `segue tune` searches when given no --space: "key=lo:hi[:log],
  // key=a|b|c" (see eval/tuner.h). Empty: the model has nothing to tune.
  std::string search_space;
};

// Adds a model. Registering the same name and factory again is a no-op; the
// same name with another factory is a std::logic_error (two models, one name).
void register_model(ModelInfo info);

// Makes sure the models compiled into segue_core are registered. Each model
// file registers itself with SEGUE_REGISTER_MODEL; this function only calls
// each built-in model's anchor, which (1) forces the linker to keep that
// object file out of the static library — nothing else references it — and
// (2) registers it regardless of static-initialisation order. A new built-in
// model adds one line to the list in registry.cc. The deep models (libtorch)
// register through register_deep_models: called by the module that
// find_model opens on demand, or by a program linking segue_torch.
// Idempotent and called by every function below.
void register_builtin_models();

// Null when unknown. A deep model's name (models/deep_module.h) loads the
// deep-model module first, if it is not registered yet: a UsageError when it
// cannot (built without libtorch, module missing).
const ModelInfo* find_model(std::string_view name);
// The registered models, sorted by name (deep models only once loaded).
std::vector<const ModelInfo*> list_models();

// Parses a spec against the named model's declarations (UsageError naming the
// model or the key; unknown model names list the known ones).
ModelSpec parse_spec(std::string_view text);

std::unique_ptr<Recommender> make_recommender(std::string_view spec);
std::unique_ptr<Recommender> make_recommender(const ModelSpec& spec);

// Help text: every model with its parameters, types, defaults, ranges and
// docs; deep models not loaded yet by name and summary only.
std::string describe_models();

// Self-registration of one model, at file scope in its .cc:
//   SEGUE_REGISTER_MODEL(pop, popularity_info())
// defines segue::model_anchor::pop() (listed in register_builtin_models) and a
// static registrar object, both registering the ModelInfo.
struct ModelRegistrar {
  explicit ModelRegistrar(void (*anchor)()) { anchor(); }
};

#define SEGUE_REGISTER_MODEL(id, info_expression)                        \
  namespace segue::model_anchor {                                        \
  void id() { ::segue::register_model(info_expression); }                \
  }                                                                      \
  namespace {                                                            \
  const ::segue::ModelRegistrar segue_model_registrar_##id(&::segue::model_anchor::id); \
  }

}  // namespace segue
