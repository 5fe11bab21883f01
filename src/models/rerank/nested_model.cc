#include "models/rerank/nested_model.h"

#include <cctype>

#include "data/error.h"
#include "io/model_file.h"
#include "models/registry.h"

namespace segue {
namespace {

// Models inside models inside models: a spec or a model file nesting deeper
// than this is refused before the recursion can exhaust the stack (the spec
// fuzzer's "mmr:base=mmr:base=..." 7,000 levels deep overflowed it).
constexpr int kMaxNesting = 16;

class NestingGuard {
 public:
  NestingGuard() { ++depth(); }
  ~NestingGuard() { --depth(); }
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;
  static bool too_deep() { return depth() > kMaxNesting; }

 private:
  static int& depth() {
    thread_local int d = 0;
    return d;
  }
};

}  // namespace

std::unique_ptr<Recommender> make_nested_model(const std::string& outer, const std::string& name_key,
                                               const std::string& name, const std::string& spec) {
  std::string text = spec.empty() ? name : spec;
  for (char& c : text)
    if (c == ';') c = ',';
  if (text.empty()) throw UsageError("model '" + outer + "': parameter '" + name_key + "': no model given");
  const NestingGuard guard;
  if (NestingGuard::too_deep())
    throw UsageError("model '" + outer + "': parameter '" + name_key + "': models nest more than " +
                     std::to_string(kMaxNesting) + " deep");
  try {
    return make_recommender(text);
  } catch (const UsageError& error) {
    throw UsageError("model '" + outer + "': parameter '" + name_key + "': " + error.what());
  }
}

std::vector<std::string> split_model_list(const std::string& text, const std::string& outer, const std::string& key) {
  std::vector<std::string> specs;
  std::string piece;
  for (std::size_t k = 0; k <= text.size(); ++k) {
    const bool split = k == text.size() ||
                       (text[k] == '+' && k + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[k + 1])));
    if (!split) {
      piece += text[k] == ';' ? ',' : text[k];
      continue;
    }
    const auto first = piece.find_first_not_of(' '), last = piece.find_last_not_of(' ');
    piece = first == std::string::npos ? std::string() : piece.substr(first, last - first + 1);
    if (piece.empty())
      throw UsageError("model '" + outer + "': parameter '" + key + "': an empty model in '" + text + "'");
    specs.push_back(piece);
    piece.clear();
  }
  return specs;
}

void save_nested_model(ModelWriter& out, const std::string& section, const Recommender& model) {
  // Built in memory, then one section: the outer writer aligns it, so the
  // inner file's own aligned sections stay aligned when mapped.
  ModelWriter inner = ModelWriter::in_memory(out.path() + "[" + section + "]");
  model.save(inner);
  out.put_string(section, inner.take_bytes());
}

std::unique_ptr<Recommender> load_nested_model(const ModelReader& in, const std::string& section) {
  const NestingGuard guard;
  if (NestingGuard::too_deep()) in.fail(section, "models nest more than " + std::to_string(kMaxNesting) + " deep");
  try {
    // A reader over the section's bytes in the outer mapping: no copy, no
    // temp file; the inner model's views keep the outer mapping alive.
    return Recommender::load(in.nested(section));
  } catch (const InputError& error) {
    if (error.file() == in.path()) throw;  // the section itself is missing or mistyped
    in.fail(section, std::string("nested model: ") + error.what());
  } catch (const std::exception& error) {
    in.fail(section, std::string("nested model: ") + error.what());
  }
}

}  // namespace segue
