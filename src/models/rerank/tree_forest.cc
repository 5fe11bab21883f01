#include "models/rerank/tree_forest.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace segue {
namespace {

std::runtime_error bad(std::size_t tree, const std::string& what) {
  return std::runtime_error("xgboost model: tree " + std::to_string(tree) + ": " + what);
}

}  // namespace

TreeForest TreeForest::from_json(std::string_view json, std::int32_t n_features) {
  const nlohmann::json model = nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (model.is_discarded()) throw std::runtime_error("xgboost model: not JSON");
  const nlohmann::json* trees = nullptr;
  try {
    trees = &model.at("learner").at("gradient_booster").at("model").at("trees");
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error("xgboost model: no learner.gradient_booster.model.trees (only gbtree boosters serve)");
  }
  if (!trees->is_array()) throw std::runtime_error("xgboost model: trees is not an array");
  TreeForest forest;
  forest.n_features_ = n_features;
  for (std::size_t t = 0; t < trees->size(); ++t) {
    const nlohmann::json& tree = (*trees)[t];
    std::vector<std::int64_t> left, right, feature;
    std::vector<double> condition;
    std::vector<int> default_left, split_type;
    try {
      left = tree.at("left_children").get<std::vector<std::int64_t>>();
      right = tree.at("right_children").get<std::vector<std::int64_t>>();
      feature = tree.at("split_indices").get<std::vector<std::int64_t>>();
      condition = tree.at("split_conditions").get<std::vector<double>>();
      for (const auto& d : tree.at("default_left")) default_left.push_back(d.is_boolean() ? d.get<bool>() : d.get<int>());
      if (tree.contains("split_type")) split_type = tree.at("split_type").get<std::vector<int>>();
    } catch (const nlohmann::json::exception& e) {
      throw bad(t, std::string("unreadable arrays (") + e.what() + ")");
    }
    const std::size_t n = left.size();
    if (n == 0 || right.size() != n || feature.size() != n || condition.size() != n || default_left.size() != n ||
        (!split_type.empty() && split_type.size() != n))
      throw bad(t, "node arrays of different lengths");
    // Renumber breadth first so that each split's children are adjacent.
    const auto base = static_cast<std::int32_t>(forest.left_.size());
    std::vector<std::int64_t> order{0};
    std::vector<std::int32_t> position(n, -1);
    position[0] = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::int64_t id = order[k];
      if (left[id] == -1 && right[id] == -1) continue;
      for (const std::int64_t child : {left[id], right[id]}) {
        // xgboost numbers children after their parent; anything else could loop.
        if (child <= id || child >= static_cast<std::int64_t>(n) || position[child] != -1)
          throw bad(t, "node " + std::to_string(id) + " has a bad child " + std::to_string(child));
        position[child] = static_cast<std::int32_t>(order.size());
        order.push_back(child);
      }
    }
    forest.roots_.push_back(base);
    std::vector<std::int32_t> depth(order.size(), 0);
    std::int32_t deepest = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
      const std::int64_t id = order[k];
      const auto self = base + static_cast<std::int32_t>(k);
      const auto value = static_cast<float>(condition[id]);
      if (left[id] == -1) {
        if (!std::isfinite(value)) throw bad(t, "leaf " + std::to_string(id) + " is not finite");
        forest.threshold_.push_back(std::numeric_limits<float>::quiet_NaN());
        forest.feature_.push_back(0);
        forest.left_.push_back(self);
        forest.missing_right_.push_back(0);
        forest.leaf_.push_back(value);
        continue;
      }
      if (!split_type.empty() && split_type[id] != 0) throw bad(t, "categorical splits are not supported");
      if (feature[id] < 0 || feature[id] >= n_features)
        throw bad(t, "node " + std::to_string(id) + " splits on feature " + std::to_string(feature[id]) + " of " +
                         std::to_string(n_features));
      if (std::isnan(value)) throw bad(t, "node " + std::to_string(id) + " has no threshold");
      const std::int32_t child = position[left[id]];
      depth[static_cast<std::size_t>(child)] = depth[static_cast<std::size_t>(child) + 1] = depth[k] + 1;
      deepest = std::max(deepest, depth[k] + 1);
      forest.threshold_.push_back(value);
      forest.feature_.push_back(static_cast<std::int32_t>(feature[id]));
      forest.left_.push_back(base + child);
      forest.missing_right_.push_back(default_left[id] ? 0 : 1);
      forest.leaf_.push_back(0.0f);
    }
    forest.depth_.push_back(deepest);
  }
  return forest;
}

void TreeForest::predict(const float* x, std::size_t rows, float* out) const {
  constexpr std::size_t kBlock = 64;
  const auto F = static_cast<std::size_t>(n_features_);
  const float* threshold = threshold_.data();
  const std::int32_t* feature = feature_.data();
  const std::int32_t* left = left_.data();
  const std::int32_t* missing_right = missing_right_.data();
  for (std::size_t first = 0; first < rows; first += kBlock) {
    const std::size_t count = std::min(kBlock, rows - first);
    const float* block = x + first * F;
    float sum[kBlock];
    std::int32_t at[kBlock];
    std::fill(sum, sum + count, bias_);
    for (std::size_t t = 0; t < roots_.size(); ++t) {
      std::fill(at, at + count, roots_[t]);
      // Level by level across the rows: independent chains the CPU overlaps,
      // and no branch on the data (x < threshold goes left, as in xgboost).
      for (std::int32_t level = 0; level < depth_[t]; ++level)
        for (std::size_t r = 0; r < count; ++r) {
          const std::int32_t i = at[r];
          const float v = block[r * F + static_cast<std::size_t>(feature[i])];
          at[r] = left[i] + ((v >= threshold[i]) | ((v != v) & missing_right[i]));
        }
      for (std::size_t r = 0; r < count; ++r) sum[r] += leaf_[static_cast<std::size_t>(at[r])];
    }
    std::copy_n(sum, count, out + first);
  }
}

}  // namespace segue
