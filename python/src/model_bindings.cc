// Models: the registry (spec strings, declared parameters) and the Recommender
// contract over numpy arrays — fit from CSR arrays or a Dataset, top-n for one
// user or a batch (implicit 0.7's shapes), fold-in, similar items,
// explanations, model files, item vectors as views.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "bindings.h"
#include "data/dataset.h"
#include "features/training_features.h"
#include "models/batch_recommend.h"
#include "models/deep_module.h"
#include "models/feedback.h"
#include "models/recommender.h"
#include "models/registry.h"
#include "models/scratch.h"
#include "models/spec.h"
#include "models/top_k.h"

namespace segue::python {
namespace {

using ModelPtr = std::shared_ptr<Recommender>;
using Int32Array = py::array_t<std::int32_t, py::array::c_style>;

py::object param_value(const ParamValue& value) {
  return std::visit([](const auto& v) -> py::object { return py::cast(v); }, value);
}

const char* type_name(ParamType type) {
  switch (type) {
    case ParamType::kInt: return "int";
    case ParamType::kFloat: return "float";
    case ParamType::kBool: return "bool";
    case ParamType::kString: return "str";
  }
  return "str";
}

py::dict describe(const ModelInfo& info) {
  py::list params;
  for (const ParamDecl& p : info.params) {
    py::dict d;
    d["name"] = p.name;
    d["type"] = type_name(p.type);
    d["default"] = param_value(p.default_value);
    d["min"] = p.min;
    d["max"] = p.max;
    d["min_exclusive"] = p.min_exclusive;
    d["range"] = p.range_text();
    d["doc"] = p.doc;
    params.append(d);
  }
  py::dict out;
  out["name"] = info.name;
  out["summary"] = info.summary;
  out["params"] = params;
  out["search_space"] = info.search_space;
  return out;
}

// Progress of a fit handed to a Python callable (stage, done, total, detail);
// Ctrl-C stops the fit at the next report.
std::function<void(const FitProgress&)> progress_callback(const py::object& callback) {
  if (callback.is_none()) return {};
  auto held = std::make_shared<py::object>(callback);  // copied without touching Python's refcounts
  return [held](const FitProgress& p) {
    py::gil_scoped_acquire gil;
    (*held)(std::string(p.stage), p.done, p.total, std::string(p.detail));
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
  };
}

// user_items as CSR arrays (dtypes already int64 / int32 / float32, indices
// sorted and unique per row: the Python layer makes sure) -> FeedbackMatrix:
// positive values are feedback, negative ones skips (as build_feedback sums
// them), zeros are dropped. NaN or infinite weights are errors.
FeedbackMatrix feedback_from_csr(const py::handle& indptr_object, const py::handle& indices_object,
                                 const py::handle& values_object, std::int64_t n_users, std::int64_t n_items) {
  const auto indptr = exact_array<std::int64_t>(indptr_object, "user_items.indptr");
  const auto indices = exact_array<std::int32_t>(indices_object, "user_items.indices");
  const auto values = exact_array<float>(values_object, "user_items.data");
  if (n_users < 0 || n_users > std::numeric_limits<std::int32_t>::max() || n_items < 0 ||
      n_items > std::numeric_limits<std::int32_t>::max())
    throw UsageError("user_items: shape out of range");
  if (indptr.size() != n_users + 1) throw UsageError("user_items: indptr has the wrong length for its shape");
  const std::int64_t* p = indptr.data();
  const std::int32_t* idx = indices.data();
  const float* val = values.data();
  const std::int64_t nnz = indices.size();
  if (values.size() != nnz) throw UsageError("user_items: data and indices differ in length");
  if (p[0] != 0 || p[n_users] != nnz) throw UsageError("user_items: indptr does not span the data");
  bool all_positive = true;
  for (std::int64_t u = 0; u < n_users; ++u) {
    if (p[u + 1] < p[u]) throw UsageError("user_items: indptr decreases at row " + std::to_string(u));
    for (std::int64_t k = p[u]; k < p[u + 1]; ++k) {
      if (idx[k] < 0 || idx[k] >= n_items)
        throw UsageError("user_items: column " + std::to_string(idx[k]) + " out of range in row " + std::to_string(u));
      if (k > p[u] && idx[k] <= idx[k - 1])
        throw UsageError("user_items: row " + std::to_string(u) + " has unsorted or repeated columns");
      if (!std::isfinite(val[k]))
        throw UsageError("user_items: NaN or infinite weight at row " + std::to_string(u) + ", column " +
                         std::to_string(idx[k]));
      all_positive = all_positive && val[k] > 0;
    }
  }
  FeedbackMatrix out;
  out.n_users = static_cast<std::int32_t>(n_users);
  out.n_items = static_cast<std::int32_t>(n_items);
  out.negatives = SparseRows::empty(out.n_users, out.n_items);
  if (all_positive) {  // the common case: the caller's arrays as they are, no copy (they outlive the fit call)
    out.indptr = Buffer<std::int64_t>::borrow(p, static_cast<std::size_t>(n_users) + 1);
    out.indices = Buffer<std::int32_t>::borrow(idx, static_cast<std::size_t>(nnz));
    out.values = Buffer<float>::borrow(val, static_cast<std::size_t>(nnz));
    return out;
  }
  out.indptr.assign(1, 0);
  out.negatives.indptr.assign(1, 0);
  for (std::int64_t u = 0; u < n_users; ++u) {
    for (std::int64_t k = p[u]; k < p[u + 1]; ++k) {
      if (val[k] > 0) {
        out.indices.push_back(idx[k]);
        out.values.push_back(val[k]);
      } else if (val[k] < 0) {
        out.negatives.indices.push_back(idx[k]);
        out.negatives.values.push_back(-val[k]);
      }
    }
    out.indptr.push_back(static_cast<std::int64_t>(out.indices.size()));
    out.negatives.indptr.push_back(static_cast<std::int64_t>(out.negatives.indices.size()));
  }
  return out;
}

IdMap index_ids(std::int32_t n) {
  IdMap ids;
  ids.reserve(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) ids.intern(std::to_string(i));
  return ids;
}

struct FitArgs {
  std::uint64_t seed = 42;
  py::object progress;
  std::optional<int> threads;
  std::string items_csv;  // item features (the Python layer writes a DataFrame to a file)
  int text_dim = 0;
};

// Fits as `segue train` does: the data as side data, item features through
// the same pipeline (which may extend the item space by catalogue items).
void fit_model(Recommender& model, FeedbackMatrix train, Dataset* data, const FitArgs& args) {
  const CallPool pool(args.threads);
  FitContext context;
  context.seed = args.seed;
  context.pool = pool.get();
  context.dataset = data;
  context.progress = progress_callback(args.progress);
  py::gil_scoped_release release;
  ItemFeatureInput features;
  if (!args.items_csv.empty()) {
    if (args.text_dim < 0 || args.text_dim > 1024)
      throw UsageError("text_dim: expected 0 (off) .. 1024, got " + std::to_string(args.text_dim));
    ItemFeatureOptions options;
    options.text_dim = args.text_dim;
    features = load_item_features(args.items_csv, *data, options);
    if (data->n_items() != train.n_items) {  // catalogue items without interactions join the item space
      train.n_items = data->n_items();
      train.negatives.n_cols = train.n_items;
    }
    context.item_features = &features.features;
  }
  model.fit(train, context);
  if (data != nullptr && !data->users.empty()) model.set_id_maps(data->users, data->items);
}

void check_user(const Recommender& model, std::int64_t user, const char* argument = "userid") {
  if (!model.fitted()) throw UsageError("model: '" + model.name() + "' is not fitted (call fit first)");
  if (user < 0 || user >= model.n_users())
    throw UsageError(std::string(argument) + ": user index " + std::to_string(user) + " out of range [0, " +
                     std::to_string(model.n_users()) + ")");
}

py::tuple scored_arrays(const std::vector<ScoredItem>& list) {
  std::vector<std::int32_t> ids(list.size());
  std::vector<float> scores(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    ids[i] = list[i].item;
    scores[i] = list[i].score;
  }
  return py::make_tuple(owning_array(std::move(ids)), owning_array(std::move(scores)));
}

// The top-n restricted to `allowed` (sorted, unique item ids; implicit's
// `items=`): whole score rows, gathered over the allowed items, then the
// shared top_k (ties still by the lower item id: positions ascend with ids).
template <class ExcludeOf>
BatchLists restricted_batch(const Recommender& model, std::span<const std::int32_t> users, std::int32_t n,
                            std::span<const std::int32_t> allowed, const ExcludeOf& exclude_of, ThreadPool* pool) {
  BatchLists lists;
  lists.n = std::min<std::int32_t>(n, static_cast<std::int32_t>(allowed.size()));
  lists.items.resize(users.size() * static_cast<std::size_t>(lists.n));
  lists.counts.assign(users.size(), 0);
  if (lists.n == 0) return lists;
  const std::int64_t n_items = model.n_items();
  const std::int64_t block = std::clamp<std::int64_t>((32ll << 20) / std::max<std::int64_t>(n_items, 1), 1, 256);
  const auto total = static_cast<std::int64_t>(users.size());
  parallel_for(
      0, (total + block - 1) / block, 1,
      [&](std::int64_t first_block, std::int64_t last_block, int) {
        std::vector<float> scores(static_cast<std::size_t>(block * n_items));
        std::vector<float> gathered(allowed.size());
        std::vector<std::int32_t> excluded;
        for (std::int64_t b = first_block; b < last_block; ++b) {
          const std::int64_t begin = b * block;
          const std::int64_t end = std::min(begin + block, total);
          model.score_users(users.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)),
                            scores.data());
          for (std::int64_t r = begin; r < end; ++r) {
            const float* row = scores.data() + (r - begin) * n_items;
            for (std::size_t j = 0; j < allowed.size(); ++j) gathered[j] = row[allowed[j]];
            excluded.clear();
            for (const std::int32_t item : exclude_of(r)) {  // ascending, so positions ascend too
              const auto at = std::lower_bound(allowed.begin(), allowed.end(), item);
              if (at != allowed.end() && *at == item) excluded.push_back(static_cast<std::int32_t>(at - allowed.begin()));
            }
            ScoredItem* out = lists.items.data() + r * lists.n;
            const std::int32_t count = top_k(gathered, excluded, lists.n, out);
            for (std::int32_t i = 0; i < count; ++i) out[i].item = allowed[static_cast<std::size_t>(out[i].item)];
            lists.counts[static_cast<std::size_t>(r)] = count;
          }
        }
      },
      pool);
  return lists;
}

// (ids int32, scores float32), users.size() × lists.n; short rows padded with
// id -1 and score -inf.
py::tuple batch_arrays(const BatchLists& lists, std::size_t rows) {
  const auto width = static_cast<std::size_t>(lists.n);
  std::vector<std::int32_t> ids(rows * width, -1);
  std::vector<float> scores(rows * width, -std::numeric_limits<float>::infinity());
  for (std::size_t r = 0; r < rows; ++r) {
    const auto row = lists.row(r);
    for (std::size_t i = 0; i < row.size(); ++i) {
      ids[r * width + i] = row[i].item;
      scores[r * width + i] = row[i].score;
    }
  }
  const std::vector<py::ssize_t> shape{static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(width)};
  return py::make_tuple(owning_array(std::move(ids), shape), owning_array(std::move(scores), shape));
}

py::tuple recommend_batch_arrays(const Recommender& model, const py::handle& users_object, std::int32_t n,
                                 bool filter_liked, const py::object& exclude_indptr, const py::object& exclude_indices,
                                 const py::object& allowed_object, std::optional<int> threads) {
  const Int32Array users_array = exact_array<std::int32_t>(users_object, "userid");
  const std::span<const std::int32_t> users(users_array.data(), static_cast<std::size_t>(users_array.size()));
  if (!model.fitted()) throw UsageError("model: '" + model.name() + "' is not fitted (call fit first)");
  if (n <= 0) throw UsageError("N: must be at least 1, got " + std::to_string(n));
  for (const std::int32_t u : users) check_user(model, u);
  // Exclusions: the given user_items rows (implicit's contract), or the
  // model's training history, or nothing.
  std::vector<std::span<const std::int32_t>> exclude(users.size());
  std::optional<py::array_t<std::int64_t, py::array::c_style>> indptr;
  std::optional<Int32Array> indices;
  if (filter_liked) {
    if (!exclude_indptr.is_none()) {
      indptr = exact_array<std::int64_t>(exclude_indptr, "user_items.indptr");
      indices = exact_array<std::int32_t>(exclude_indices, "user_items.indices");
      if (static_cast<std::size_t>(indptr->size()) != users.size() + 1)
        throw UsageError("user_items: " + std::to_string(indptr->size() - 1) + " rows for " +
                         std::to_string(users.size()) + " users (pass user_items[userids])");
      const std::int64_t* p = indptr->data();
      for (std::size_t r = 0; r < users.size(); ++r) exclude[r] = {indices->data() + p[r], static_cast<std::size_t>(p[r + 1] - p[r])};
    } else {
      for (std::size_t r = 0; r < users.size(); ++r) exclude[r] = model.history().row_indices(users[r]);
    }
  }
  const CallPool pool(threads);
  BatchLists lists;
  if (allowed_object.is_none()) {
    py::gil_scoped_release release;
    lists = recommend_batch(model, users, n, exclude, pool.get());
  } else {
    const Int32Array allowed_array = exact_array<std::int32_t>(allowed_object, "items");
    const std::span<const std::int32_t> allowed(allowed_array.data(), static_cast<std::size_t>(allowed_array.size()));
    for (std::size_t j = 0; j < allowed.size(); ++j) {
      if (allowed[j] < 0 || allowed[j] >= model.n_items())
        throw UsageError("items: item index " + std::to_string(allowed[j]) + " out of range");
      if (j > 0 && allowed[j] <= allowed[j - 1]) throw UsageError("items: must be sorted and unique");
    }
    py::gil_scoped_release release;
    lists = restricted_batch(model, users, n, allowed, [&](std::int64_t r) { return exclude[static_cast<std::size_t>(r)]; },
                             pool.get());
  }
  return batch_arrays(lists, users.size());
}

}  // namespace

void bind_models(py::module_& m) {
  m.def("model_infos", [] {
    py::list out;
    for (const ModelInfo* info : list_models()) out.append(describe(*info));
    return out;
  });
  m.def("deep_model_names", [] {
    py::list out;
    for (const DeepModelName& d : deep_model_names()) out.append(py::make_tuple(std::string(d.name), std::string(d.summary)));
    return out;
  });
  m.def("model_info", [](const std::string& name) -> py::object {
    const ModelInfo* info = find_model(name);  // loads the deep module for a deep model's name
    if (info == nullptr) return py::none();
    return describe(*info);
  });
  m.def("canonical_spec", [](const std::string& spec) { return parse_spec(spec).to_string(); });
  m.def("describe_models", &describe_models);

  py::class_<Recommender, ModelPtr>(m, "Recommender", "a segue model (use segue.Model)")
      .def_property_readonly("name", &Recommender::name)
      .def_property_readonly("spec", [](const Recommender& r) { return r.params().to_string(); })
      .def_property_readonly("short_spec", [](const Recommender& r) { return r.params().to_short_string(); })
      .def_property_readonly("fitted", &Recommender::fitted)
      .def_property_readonly("n_users", &Recommender::n_users)
      .def_property_readonly("n_items", &Recommender::n_items)
      .def_property_readonly("fit_seconds", &Recommender::fit_seconds)
      .def_property_readonly("fit_stats", &Recommender::fit_stats)
      .def("params", [](const Recommender& r) {
        py::dict out;
        const ModelSpec& spec = r.params();
        for (std::size_t i = 0; i < spec.decls().size(); ++i) out[py::str(spec.decls()[i].name)] = param_value(spec.values()[i]);
        return out;
      })
      .def("fit_csr",
           [](Recommender& model, const py::handle& indptr, const py::handle& indices, const py::handle& values,
              std::int64_t n_users, std::int64_t n_items, std::uint64_t seed, const py::object& progress,
              std::optional<int> threads, const std::string& items_csv, int text_dim) {
             FeedbackMatrix train = feedback_from_csr(indptr, indices, values, n_users, n_items);
             const FitArgs args{seed, progress, threads, items_csv, text_dim};
             if (items_csv.empty()) return fit_model(model, std::move(train), nullptr, args);
             // Item features name items by id: a CSR's ids are its column numbers.
             Dataset ids;
             ids.users = index_ids(train.n_users);
             ids.items = index_ids(train.n_items);
             ids.interactions.n_users = train.n_users;
             ids.interactions.n_items = train.n_items;
             ids.interactions.indptr.assign(static_cast<std::size_t>(train.n_users) + 1, 0);
             fit_model(model, std::move(train), &ids, args);
           },
           py::arg("indptr"), py::arg("indices"), py::arg("data"), py::arg("n_users"), py::arg("n_items"),
           py::arg("seed"), py::arg("progress"), py::arg("threads"), py::arg("items_csv"), py::arg("text_dim"))
      .def("fit_dataset",
           [](Recommender& model, const Dataset& data, std::uint64_t seed, const py::object& progress,
              std::optional<int> threads, const std::string& items_csv, int text_dim) {
             // The features may extend the item space: work on a copy, the caller's data stays as it is.
             Dataset copy;
             const Dataset* used = &data;
             if (!items_csv.empty()) {
               copy = data;
               used = &copy;
             }
             FeedbackMatrix train;
             {
               py::gil_scoped_release release;
               train = build_feedback(data);
             }
             fit_model(model, std::move(train), const_cast<Dataset*>(used), FitArgs{seed, progress, threads, items_csv, text_dim});
           },
           py::arg("dataset"), py::arg("seed"), py::arg("progress"), py::arg("threads"), py::arg("items_csv"),
           py::arg("text_dim"))
      .def("recommend_one",
           [](const Recommender& model, std::int64_t user, std::int32_t n, bool filter_liked) {
             check_user(model, user);
             return scored_arrays(model.recommend(static_cast<std::int32_t>(user), n, filter_liked));
           },
           py::arg("userid"), py::arg("N"), py::arg("filter_already_liked_items"))
      .def("recommend_one_excluding",  // implicit's recommend(userid, user_items[userid]): that row excluded
           [](const Recommender& model, std::int64_t user, std::int32_t n, const py::handle& exclude_object) {
             check_user(model, user);
             if (n <= 0) throw UsageError("N: must be at least 1, got " + std::to_string(n));
             const Int32Array exclude = exact_array<std::int32_t>(exclude_object, "user_items.indices");
             const auto u = static_cast<std::int32_t>(user);
             // Recommender::recommend with the caller's exclusion (sorted: the row is canonical).
             Scratch<float> scores(static_cast<std::size_t>(model.n_items()));
             model.score_users(std::span<const std::int32_t>(&u, 1), scores.data());
             std::vector<ScoredItem> out;
             top_k(*scores, {exclude.data(), static_cast<std::size_t>(exclude.size())}, std::min(n, model.n_items()), out);
             return scored_arrays(out);
           },
           py::arg("userid"), py::arg("N"), py::arg("exclude"))
      .def("recommend_batch", &recommend_batch_arrays, py::arg("userids"), py::arg("N"),
           py::arg("filter_already_liked_items"), py::arg("exclude_indptr"), py::arg("exclude_indices"),
           py::arg("items"), py::arg("threads"))
      .def("recommend_from_history",
           [](const Recommender& model, const py::handle& items_object, const py::object& weights_object,
              std::int32_t n, bool exclude_history) {
             const Int32Array items = exact_array<std::int32_t>(items_object, "items");
             std::optional<py::array_t<float, py::array::c_style>> weights;
             if (!weights_object.is_none()) {
               weights = exact_array<float>(weights_object, "weights");
               if (weights->size() != items.size()) throw UsageError("weights: one weight per item expected");
             }
             const std::span<const float> w = weights ? std::span<const float>(weights->data(), weights->size())
                                                      : std::span<const float>();
             std::vector<ScoredItem> list;
             {
               py::gil_scoped_release release;
               list = model.recommend_from_history({items.data(), static_cast<std::size_t>(items.size())}, w, n,
                                                   exclude_history);
             }
             return scored_arrays(list);
           },
           py::arg("items"), py::arg("weights"), py::arg("N"), py::arg("exclude_history"))
      .def("similar_items",
           [](const Recommender& model, std::int32_t item, std::int32_t n) {
             return scored_arrays(model.similar_items(item, n));
           },
           py::arg("itemid"), py::arg("N"))
      .def("explain",
           [](const Recommender& model, std::int64_t user, std::int32_t item) {
             check_user(model, user);
             const Explanation why = model.explain(static_cast<std::int32_t>(user), item);
             py::list contributions;
             for (const Contribution& c : why.contributions) contributions.append(py::make_tuple(c.item, c.share));
             return py::make_tuple(why.score, contributions, why.note);
           },
           py::arg("userid"), py::arg("itemid"))
      .def("score_users",
           [](const Recommender& model, const py::handle& users_object) {
             const Int32Array users = exact_array<std::int32_t>(users_object, "userid");
             for (py::ssize_t r = 0; r < users.size(); ++r) check_user(model, users.at(r));
             std::vector<float> scores(static_cast<std::size_t>(users.size()) * static_cast<std::size_t>(model.n_items()));
             {
               py::gil_scoped_release release;
               model.score_users({users.data(), static_cast<std::size_t>(users.size())}, scores.data());
             }
             return owning_array(std::move(scores), {users.size(), model.n_items()});
           },
           py::arg("userids"))
      .def("item_vectors",
           [](const py::object& self) -> py::object {
             const auto& model = self.cast<const Recommender&>();
             const std::optional<ItemVectors> v = model.fitted() ? model.inner_product_items() : std::nullopt;
             if (!v) return py::none();
             // A view into the model (the array keeps the model alive).
             return py::array_t<float>({static_cast<py::ssize_t>(v->n_items), static_cast<py::ssize_t>(v->dim)},
                                       {static_cast<py::ssize_t>(v->dim) * 4, static_cast<py::ssize_t>(4)}, v->data, self);
           })
      .def("user_vectors",
           [](const Recommender& model) -> py::object {
             const std::optional<ItemVectors> v = model.fitted() ? model.inner_product_items() : std::nullopt;
             if (!v) return py::none();
             const auto dim = static_cast<std::size_t>(v->dim);
             std::vector<float> out(static_cast<std::size_t>(model.n_users()) * dim);
             for (std::int32_t u = 0; u < model.n_users(); ++u)
               if (!model.user_query(u, {out.data() + static_cast<std::size_t>(u) * dim, dim})) return py::none();
             return owning_array(std::move(out), {model.n_users(), v->dim});
           })
      .def("history_rows",
           [](const Recommender& model, const py::handle& users_object) {  // (indptr, indices) of these users' training rows
             const Int32Array users = exact_array<std::int32_t>(users_object, "userid");
             std::vector<std::int64_t> indptr{0};
             std::vector<std::int32_t> indices;
             for (py::ssize_t r = 0; r < users.size(); ++r) {
               check_user(model, users.at(r));
               const auto row = model.history().row_indices(users.at(r));
               indices.insert(indices.end(), row.begin(), row.end());
               indptr.push_back(static_cast<std::int64_t>(indices.size()));
             }
             return py::make_tuple(owning_array(std::move(indptr)), owning_array(std::move(indices)));
           })
      .def("user_ids", [](const Recommender& r) -> py::object {
        if (r.user_ids().empty()) return py::none();
        std::vector<std::string> out;
        for (std::int32_t i = 0; i < r.user_ids().size(); ++i) out.emplace_back(r.user_ids().name(i));
        return py::cast(out);
      })
      .def("item_ids", [](const Recommender& r) -> py::object {
        if (r.item_ids().empty()) return py::none();
        std::vector<std::string> out;
        for (std::int32_t i = 0; i < r.item_ids().size(); ++i) out.emplace_back(r.item_ids().name(i));
        return py::cast(out);
      })
      .def("user_index", [](const Recommender& r, const std::string& id) {
        const std::int32_t u = r.user_ids().find(id);
        if (u == IdMap::kMissing) throw py::key_error("userid: unknown user id '" + id + "'");
        return u;
      })
      .def("item_index", [](const Recommender& r, const std::string& id) {
        const std::int32_t i = r.item_ids().find(id);
        if (i == IdMap::kMissing) throw py::key_error("itemid: unknown item id '" + id + "'");
        return i;
      })
      .def("save", [](const Recommender& r, const std::string& path) {
        py::gil_scoped_release release;
        r.save(path);
      });

  // Benchmarks (bench/python): seconds per Recommender::recommend call in a
  // C++ loop over `users`, the baseline of the Python call's overhead.
  m.def(
      "_time_recommend_one",
      [](const Recommender& model, const py::handle& users_object, std::int32_t n, int repeats) {
        const Int32Array users = exact_array<std::int32_t>(users_object, "userids");
        for (py::ssize_t r = 0; r < users.size(); ++r) check_user(model, users.at(r));
        py::gil_scoped_release release;
        std::size_t sink = 0;
        const auto start = std::chrono::steady_clock::now();
        for (int rep = 0; rep < repeats; ++rep)
          for (py::ssize_t r = 0; r < users.size(); ++r) sink += model.recommend(users.data()[r], n).size();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (sink == 0 && users.size() > 0) throw UsageError("no lists");
        return seconds / static_cast<double>(std::max<py::ssize_t>(1, users.size() * repeats));
      },
      py::arg("model"), py::arg("userids"), py::arg("N"), py::arg("repeats"));
  m.def(
      "make_model", [](const std::string& spec) { return ModelPtr(make_recommender(spec)); }, py::arg("spec"));
  m.def(
      "load_model",
      [](const std::string& path) {
        py::gil_scoped_release release;
        return ModelPtr(Recommender::load(path));
      },
      py::arg("path"));
}

}  // namespace segue::python
