#include "models/rerank/xgb_ranker.h"

#include <xgboost/c_api.h>

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace segue {
namespace {

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("xgboost: ") + what + ": " + XGBGetLastError());
}

// xgboost logs warnings to stdout by default; segue's stdout carries results.
void quiet() {
  static std::once_flag once;
  std::call_once(once, [] { XGBSetGlobalConfig("{\"verbosity\": 0}"); });
}

struct Matrix {
  DMatrixHandle handle = nullptr;
  explicit Matrix(const RankingRows& rows) {
    check(XGDMatrixCreateFromMat(rows.x.data(), rows.rows(), static_cast<bst_ulong>(rows.n_features), NAN, &handle),
          "DMatrix");
    check(XGDMatrixSetFloatInfo(handle, "label", rows.labels.data(), rows.rows()), "labels");
    check(XGDMatrixSetUIntInfo(handle, "group", rows.group_sizes.data(), rows.group_sizes.size()), "groups");
  }
  ~Matrix() { XGDMatrixFree(handle); }
  Matrix(const Matrix&) = delete;
  Matrix& operator=(const Matrix&) = delete;
};

void set(BoosterHandle booster, const char* key, const std::string& value) {
  check(XGBoosterSetParam(booster, key, value.c_str()), key);
}

// "[3]\tvalid-ndcg@10:0.41234" -> 0.41234
double last_number(const char* text) {
  const std::string s(text);
  const std::size_t colon = s.rfind(':');
  return colon == std::string::npos ? NAN : std::strtod(s.c_str() + colon + 1, nullptr);
}

std::string array_interface(const float* x, std::size_t rows, std::int32_t cols) {
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer),
                "{\"data\": [%llu, true], \"shape\": [%zu, %d], \"typestr\": \"<f4\", \"version\": 3}",
                static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(x)), rows, cols);
  return buffer;
}

// xgboost trains with OpenMP. Under ThreadSanitizer libgomp's barriers are
// invisible (it is not instrumented), so every parallel boosting round reads as
// a race inside xgboost; the sanitized build trains on one thread instead.
int training_threads(int wanted) {
#if defined(__SANITIZE_THREAD__)
  (void)wanted;
  return 1;
#else
  return std::max(1, wanted);
#endif
}

void validate_rows(const RankingRows& rows, const char* what) {
  std::size_t grouped = 0;
  for (unsigned g : rows.group_sizes) grouped += g;
  if (rows.x.size() != rows.rows() * static_cast<std::size_t>(rows.n_features) || grouped != rows.rows())
    throw std::invalid_argument(std::string("xgb ranker: ") + what + " rows, labels and groups disagree");
}

}  // namespace

XgbRanker::~XgbRanker() {
  if (booster_ != nullptr) XGBoosterFree(booster_);
}

XgbRanker::XgbRanker(XgbRanker&& other) noexcept
    : booster_(other.booster_),
      forest_(std::move(other.forest_)),
      n_features_(other.n_features_), rounds_(other.rounds_), best_valid_(other.best_valid_) {
  other.booster_ = nullptr;
}

XgbRanker& XgbRanker::operator=(XgbRanker&& other) noexcept {
  if (this != &other) {
    if (booster_ != nullptr) XGBoosterFree(booster_);
    booster_ = other.booster_;
    forest_ = std::move(other.forest_);
    n_features_ = other.n_features_;
    rounds_ = other.rounds_;
    best_valid_ = other.best_valid_;
    other.booster_ = nullptr;
  }
  return *this;
}

XgbRanker XgbRanker::train(const RankingRows& train, const RankingRows& valid, const RankerParams& params) {
  quiet();
  validate_rows(train, "training");
  if (train.rows() == 0) throw std::invalid_argument("xgb ranker: no training rows");
  const bool early = valid.rows() > 0 && params.early_stop > 0;
  if (early) validate_rows(valid, "validation");
  Matrix dtrain(train);
  std::unique_ptr<Matrix> dvalid = early ? std::make_unique<Matrix>(valid) : nullptr;

  DMatrixHandle cache[2] = {dtrain.handle, early ? dvalid->handle : nullptr};
  BoosterHandle booster = nullptr;
  check(XGBoosterCreate(cache, early ? 2 : 1, &booster), "booster");
  XgbRanker out;
  out.booster_ = booster;
  out.n_features_ = train.n_features;
  set(booster, "objective", params.objective);
  set(booster, "eval_metric", "ndcg@" + std::to_string(params.eval_at));
  set(booster, "eta", std::to_string(params.eta));
  set(booster, "max_depth", std::to_string(params.max_depth));
  set(booster, "min_child_weight", std::to_string(params.min_child_weight));
  set(booster, "subsample", std::to_string(params.subsample));
  set(booster, "colsample_bytree", std::to_string(params.colsample));
  set(booster, "lambda", std::to_string(params.lambda));
  set(booster, "tree_method", "hist");
  if (!params.monotone.empty()) {
    std::string constraints = "(";
    for (std::size_t f = 0; f < params.monotone.size(); ++f)
      constraints += (f > 0 ? "," : "") + std::to_string(params.monotone[f]);
    set(booster, "monotone_constraints", constraints + ")");
  }
  set(booster, "nthread", std::to_string(training_threads(params.threads)));
  set(booster, "seed", std::to_string(params.seed % 2147483647u));

  int best_round = params.rounds - 1;
  double best = -1.0;
  for (int round = 0; round < params.rounds; ++round) {
    check(XGBoosterUpdateOneIter(booster, round, dtrain.handle), "boosting");
    if (!early) continue;
    const char* names[1] = {"valid"};
    const char* result = nullptr;
    check(XGBoosterEvalOneIter(booster, round, &cache[1], names, 1, &result), "evaluation");
    const double ndcg = last_number(result);
    if (ndcg > best + 1e-9) {
      best = ndcg;
      best_round = round;
    } else if (round - best_round >= params.early_stop) {
      break;
    }
  }
  out.best_valid_ = early ? best : NAN;
  int boosted = 0;
  check(XGBoosterBoostedRounds(booster, &boosted), "rounds");
  if (best_round + 1 < boosted) {
    BoosterHandle sliced = nullptr;
    check(XGBoosterSlice(booster, 0, best_round + 1, 1, &sliced), "slice");
    XGBoosterFree(booster);
    out.booster_ = sliced;
  }
  out.rounds_ = best_round + 1;
  set(out.booster_, "nthread", "1");  // prediction runs on the callers' threads
  out.build_forest();
  return out;
}

XgbRanker XgbRanker::from_bytes(std::string_view bytes, std::int32_t n_features) {
  quiet();
  XgbRanker out;
  check(XGBoosterCreate(nullptr, 0, &out.booster_), "booster");
  set(out.booster_, "nthread", "1");  // loading must not start OpenMP threads either
  check(XGBoosterLoadModelFromBuffer(out.booster_, bytes.data(), bytes.size()), "load");
  bst_ulong features = 0;
  check(XGBoosterGetNumFeature(out.booster_, &features), "features");
  if (static_cast<std::int64_t>(features) != n_features)
    throw std::runtime_error("xgboost: the ranker expects " + std::to_string(features) + " features, not " +
                             std::to_string(n_features));
  int rounds = 0;
  check(XGBoosterBoostedRounds(out.booster_, &rounds), "rounds");
  out.rounds_ = rounds;
  out.n_features_ = n_features;
  set(out.booster_, "nthread", "1");
  // Also makes one prediction now, so that xgboost's lazy configuration on
  // first use never happens under concurrent callers.
  out.build_forest();
  return out;
}

std::string XgbRanker::to_bytes() const {
  bst_ulong length = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(booster_, "{\"format\": \"ubj\"}", &length, &data), "save");
  return std::string(data, length);
}

void XgbRanker::build_forest() {
  bst_ulong length = 0;
  const char* data = nullptr;
  check(XGBoosterSaveModelToBuffer(booster_, "{\"format\": \"json\"}", &length, &data), "save as JSON");
  forest_ = TreeForest::from_json(std::string_view(data, length), n_features_);
  // The base margin, whatever the objective makes of base_score: xgboost's
  // margin of one row less the trees' sum.
  const std::vector<float> row(static_cast<std::size_t>(n_features_), 0.0f);
  float expected = 0.0f, trees = 0.0f;
  predict_xgboost(row.data(), 1, &expected);
  forest_.predict(row.data(), 1, &trees);
  forest_.set_bias(expected - trees);
}

void XgbRanker::predict(const float* x, std::size_t rows, float* out) const { forest_.predict(x, rows, out); }

void XgbRanker::predict_xgboost(const float* x, std::size_t rows, float* out) const {
  if (rows == 0) return;
  const std::string values = array_interface(x, rows, n_features_);
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  check(XGBoosterPredictFromDense(booster_, values.c_str(),
                                  "{\"type\": 1, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                                  "\"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}",
                                  nullptr, &shape, &dims, &result),
        "predict");
  std::copy_n(result, rows, out);  // the result buffer is xgboost's, per thread
}

std::vector<float> XgbRanker::contributions(const float* row) const {
  DMatrixHandle matrix = nullptr;
  check(XGDMatrixCreateFromMat(row, 1, static_cast<bst_ulong>(n_features_), NAN, &matrix), "DMatrix");
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  const int rc = XGBoosterPredictFromDMatrix(
      booster_, matrix, "{\"type\": 2, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, "
                        "\"strict_shape\": false}",
      &shape, &dims, &result);
  std::vector<float> out;
  if (rc == 0) out.assign(result, result + n_features_ + 1);
  XGDMatrixFree(matrix);
  check(rc, "contributions");
  return out;
}

}  // namespace segue
