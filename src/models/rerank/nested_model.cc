#include "models/rerank/nested_model.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "data/error.h"
#include "models/model_file.h"
#include "models/registry.h"

namespace segue {
namespace {

// A private temporary path (pid + counter), removed by the guard.
struct TempPath {
  std::string path;
  TempPath() {
    static std::atomic<unsigned long> counter{0};
    path = (std::filesystem::temp_directory_path() /
            ("segue-nested-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".model"))
               .string();
  }
  ~TempPath() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
};

}  // namespace

std::unique_ptr<Recommender> make_nested_model(const std::string& outer, const std::string& name_key,
                                               const std::string& name, const std::string& spec) {
  std::string text = spec.empty() ? name : spec;
  for (char& c : text)
    if (c == ';') c = ',';
  if (text.empty()) throw UsageError("model '" + outer + "': parameter '" + name_key + "': no model given");
  try {
    return make_recommender(text);
  } catch (const UsageError& error) {
    throw UsageError("model '" + outer + "': parameter '" + name_key + "': " + error.what());
  }
}

void save_nested_model(ModelWriter& out, const std::string& section, const Recommender& model) {
  TempPath temp;
  model.save(temp.path);
  std::ifstream in(temp.path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw InputError(temp.path, 0, "", "cannot read the nested model back");
  out.put_string(section, bytes);
}

std::unique_ptr<Recommender> load_nested_model(const ModelReader& in, const std::string& section) {
  const std::string bytes = in.get_string(section);
  TempPath temp;
  {
    std::ofstream file(temp.path, std::ios::binary);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!file.good()) in.fail(section, "cannot write the nested model to " + temp.path);
  }
  try {
    return Recommender::load(temp.path);
  } catch (const std::exception& error) {
    in.fail(section, std::string("nested model: ") + error.what());
  }
}

}  // namespace segue
