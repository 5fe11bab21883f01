#include "features/feature_matrix.h"

#include <cmath>
#include <stdexcept>

#include "io/model_file.h"

namespace segue {
void FeatureMatrix::validate() const {
  if (n_rows < 0 || n_features < 0) throw std::invalid_argument("features: negative shape");
  if (indptr.size() != static_cast<std::size_t>(n_rows) + 1 || indptr.front() != 0 ||
      indptr.back() != static_cast<std::int64_t>(indices.size()) || values.size() != indices.size())
    throw std::invalid_argument("features: indptr/indices/values sizes disagree");
  if (names.size() != static_cast<std::size_t>(n_features) || group_of.size() != static_cast<std::size_t>(n_features))
    throw std::invalid_argument("features: names/group_of must have one entry per feature");
  if (described.size() != static_cast<std::size_t>(n_rows))
    throw std::invalid_argument("features: described must have one entry per item");
  for (std::int16_t g : group_of)
    if (g < 0 || static_cast<std::size_t>(g) >= groups.size()) throw std::invalid_argument("features: group id out of range");
  // All of indptr before any row is read (so every row's entries are within the arrays).
  for (std::int32_t r = 0; r < n_rows; ++r)
    if (indptr[r + 1] < indptr[r]) throw std::invalid_argument("features: indptr not ascending at item " + std::to_string(r));
  for (std::int32_t r = 0; r < n_rows; ++r) {
    for (std::int64_t j = indptr[r]; j < indptr[r + 1]; ++j) {
      if (indices[j] < 0 || indices[j] >= n_features)
        throw std::invalid_argument("features: feature id out of range at item " + std::to_string(r));
      if (j > indptr[r] && indices[j] <= indices[j - 1])
        throw std::invalid_argument("features: feature ids not ascending and unique at item " + std::to_string(r));
      if (!std::isfinite(values[j])) throw std::invalid_argument("features: non-finite value at item " + std::to_string(r));
    }
  }
}

void FeatureMatrix::save(ModelWriter& out, const std::string& prefix) const {
  const std::vector<std::int64_t> shape{n_rows, n_features};
  out.put(prefix + ".shape", shape);
  out.put(prefix + ".indptr", indptr);
  out.put(prefix + ".indices", indices);
  out.put(prefix + ".values", values);
  out.put(prefix + ".group_of", std::vector<std::int32_t>(group_of.begin(), group_of.end()));
  out.put(prefix + ".described", std::vector<char>(described.begin(), described.end()));
  out.put_strings(prefix + ".names", names);
  out.put_strings(prefix + ".groups", groups);
}

FeatureMatrix FeatureMatrix::load(const ModelReader& in, const std::string& prefix) {
  FeatureMatrix m;
  const std::vector<std::int64_t> shape = in.get<std::int64_t>(prefix + ".shape", 2);
  if (shape[0] < 0 || shape[1] < 0 || shape[0] > INT32_MAX || shape[1] > INT32_MAX)
    in.fail(prefix + ".shape", "bad dimensions");
  m.n_rows = static_cast<std::int32_t>(shape[0]);
  m.n_features = static_cast<std::int32_t>(shape[1]);
  m.indptr = in.get<std::int64_t>(prefix + ".indptr");
  m.indices = in.get<std::int32_t>(prefix + ".indices");
  m.values = in.get<float>(prefix + ".values");
  for (const std::int32_t g : in.get<std::int32_t>(prefix + ".group_of")) {
    if (g < 0 || g > INT16_MAX) in.fail(prefix + ".group_of", "group id out of range");
    m.group_of.push_back(static_cast<std::int16_t>(g));
  }
  for (const char d : in.get<char>(prefix + ".described")) m.described.push_back(d != 0 ? 1 : 0);
  m.names = in.get_strings(prefix + ".names");
  m.groups = in.get_strings(prefix + ".groups");
  try {
    m.validate();
  } catch (const std::invalid_argument& error) {
    in.fail(prefix, error.what());
  }
  return m;
}

}  // namespace segue
