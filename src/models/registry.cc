#include "models/registry.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <stdexcept>

#include "data/error.h"
#include "models/deep_module.h"
#include "models/recommender.h"

// Built-in models: one line per model file that uses SEGUE_REGISTER_MODEL.
namespace segue::model_anchor {
void blend();
void bpr();
void content();
void ease();
void featureknn();
void hybrid();
void ials();
void itemknn();
void pop();
void mmr();
void ensemble();
void rerank();
void random();
void rp3beta();
void title();
void userknn();
}  // namespace segue::model_anchor

namespace segue {
namespace {

struct Registry {
  std::mutex mutex;
  std::map<std::string, ModelInfo, std::less<>> models;
};

// Built on first use, so registrars running during static initialisation
// (in any order) always find it.
Registry& registry() {
  static Registry instance;
  return instance;
}

}  // namespace

void register_model(ModelInfo info) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto found = r.models.find(info.name);
  if (found != r.models.end()) {
    if (found->second.factory == info.factory) return;
    throw std::logic_error("two models registered under the name '" + info.name + "'");
  }
  std::string name = info.name;
  r.models.emplace(std::move(name), std::move(info));
}

void register_builtin_models() {
  static std::once_flag once;
  std::call_once(once, [] {
    model_anchor::blend();
    model_anchor::bpr();
    model_anchor::content();
    model_anchor::ease();
    model_anchor::featureknn();
    model_anchor::hybrid();
    model_anchor::ials();
    model_anchor::itemknn();
    model_anchor::pop();
    model_anchor::mmr();
    model_anchor::ensemble();
    model_anchor::rerank();
    model_anchor::random();
    model_anchor::rp3beta();
    model_anchor::title();
    model_anchor::userknn();
  });
}

namespace {

const ModelInfo* find_registered(std::string_view name) {
  register_builtin_models();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const auto found = r.models.find(name);
  return found == r.models.end() ? nullptr : &found->second;
}

}  // namespace

const ModelInfo* find_model(std::string_view name) {
  const ModelInfo* info = find_registered(name);
  if (info != nullptr || !is_deep_model_name(name)) return info;
  load_deep_models(name);  // the module registers them (outside the registry's lock)
  return find_registered(name);
}

std::vector<const ModelInfo*> list_models() {
  register_builtin_models();
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<const ModelInfo*> out;
  for (const auto& [name, info] : r.models) out.push_back(&info);
  return out;
}

ModelSpec parse_spec(std::string_view text) {
  const SpecParts parts = split_spec(text);
  const ModelInfo* info = find_model(parts.name);
  if (info == nullptr) {
    std::vector<std::string> known;
    for (const ModelInfo* model : list_models()) known.push_back(model->name);
    for (const DeepModelName& deep : deep_model_names())
      if (find_registered(deep.name) == nullptr) known.emplace_back(deep.name);
    std::sort(known.begin(), known.end());
    std::string text;
    for (const std::string& name : known) text += (text.empty() ? "" : ", ") + name;
    throw UsageError("model: unknown model '" + parts.name + "' (known: " + text + ")");
  }
  return parse_params(parts, info->params);
}

std::unique_ptr<Recommender> make_recommender(std::string_view spec) { return make_recommender(parse_spec(spec)); }

std::unique_ptr<Recommender> make_recommender(const ModelSpec& spec) {
  const ModelInfo* info = find_model(spec.name());
  if (info == nullptr) throw UsageError("model: unknown model '" + spec.name() + "'");
  return info->factory(spec);
}

std::string describe_models() {
  // The deep models not loaded yet are listed by name and summary only:
  // their parameters would cost loading libtorch.
  std::map<std::string, std::string, std::less<>> entries;
  for (const ModelInfo* model : list_models()) {
    std::string& out = entries[model->name];
    out = model->name + "  " + model->summary + "\n";
    for (const ParamDecl& param : model->params) {
      out += "    " + param.name + "=" + format_param_value(param.default_value);
      const std::string range = param.range_text();
      if (!range.empty()) out += "  " + range;
      out += "  " + param.doc + "\n";
    }
  }
  for (const DeepModelName& deep : deep_model_names())
    if (!entries.contains(deep.name))
      entries[std::string(deep.name)] = std::string(deep.name) + "  " + std::string(deep.summary) +
                                        "\n    (deep model, libtorch loaded on first use: parameters in docs/DEEP.md)\n";
  std::string out;
  for (const auto& [name, text] : entries) out += text;
  return out;
}

}  // namespace segue
