// Data: segue.Dataset (CSV, columns, stores, importers), feedback as CSR
// arrays, splits through the same functions as `segue import` / `segue split`.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "bindings.h"
#include "data/dataset_builder.h"
#include "data/filters.h"
#include "data/importer.h"
#include "data/signal.h"
#include "data/split.h"
#include "data/store.h"
#include "eval/test_set.h"
#include "models/feedback.h"

namespace segue::python {
namespace {

SignalTable signal_table(const std::string& signal) {
  return signal.empty() ? SignalTable::defaults() : SignalTable::parse(signal);
}

char parse_delimiter(const std::string& delimiter) {
  if (delimiter.empty()) return 0;
  if (delimiter == "tab" || delimiter == "\\t" || delimiter == "\t") return '\t';
  if (delimiter.size() == 1) return delimiter[0];
  throw UsageError("delimiter: expected one character or 'tab', got '" + delimiter + "'");
}

py::list id_list(const IdMap& ids) {
  py::list out(static_cast<std::size_t>(ids.size()));
  for (std::int32_t i = 0; i < ids.size(); ++i) {
    const std::string_view name = ids.name(i);
    out[static_cast<std::size_t>(i)] = py::str(name.data(), name.size());
  }
  return out;
}

std::int32_t find_id(const IdMap& ids, const std::string& id, const char* argument) {
  const std::int32_t index = ids.find(id);
  if (index == IdMap::kMissing) throw py::key_error(std::string(argument) + ": unknown id '" + id + "'");
  return index;
}

// "Artist - Name", the name, or the id: what people read in a list.
std::string item_label(const Dataset& data, std::int32_t item) {
  if (item < 0 || item >= data.n_items()) throw UsageError("item: index " + std::to_string(item) + " out of range");
  const std::string_view name = data.item_attributes.string_value("name", item);
  const std::string_view artist = data.item_attributes.string_value("artist", item);
  if (!name.empty() && !artist.empty() && artist != name) return std::string(artist) + " - " + std::string(name);
  if (!name.empty()) return std::string(name);
  return std::string(data.items.name(item));
}

// The implicit-feedback matrix every model trains on (build_feedback) as
// (indptr int64, indices int32, values float32, (n_users, n_items)).
py::tuple feedback_arrays(FeedbackMatrix&& feedback) {
  const py::tuple shape = py::make_tuple(feedback.n_users, feedback.n_items);
  // own(): the vectors move into numpy without a copy (build_feedback's buffers are owned).
  return py::make_tuple(owning_array(std::move(feedback.indptr.own())), owning_array(std::move(feedback.indices.own())),
                        owning_array(std::move(feedback.values.own())), shape);
}

struct CsvArgs {
  std::string user_col = "user_id", item_col = "item_id", weight_col, time_col, event_col, session_col,
              position_col, delimiter, signal, on_error = "fail";
};

ImportOptions import_options(const CsvArgs& args) {
  ImportOptions options;
  options.signal = signal_table(args.signal);
  options.columns.user = args.user_col;
  options.columns.item = args.item_col;
  options.columns.weight = args.weight_col;
  options.columns.time = args.time_col;
  options.columns.event = args.event_col;
  options.columns.session = args.session_col;
  options.columns.position = args.position_col;
  options.delimiter = parse_delimiter(args.delimiter);
  return options;
}

std::shared_ptr<Dataset> read_csv(const std::string& path, const CsvArgs& args) {
  const ImportOptions options = import_options(args);
  IssueLog issues(parse_on_error(args.on_error));
  py::gil_scoped_release release;
  return std::make_shared<Dataset>(import_csv(path, options, issues));
}

// Events from columns (pandas): ids as strings, optional weights, unix seconds
// and event names; the rows' order is the import order, as in a CSV.
std::shared_ptr<Dataset> from_columns(const std::vector<std::string>& users, const std::vector<std::string>& items,
                                      const py::object& weights_object, const py::object& times_object,
                                      const std::optional<std::vector<std::string>>& events, const std::string& signal,
                                      const std::string& source) {
  const std::size_t n = users.size();
  if (items.size() != n)
    throw UsageError("item_col: " + std::to_string(items.size()) + " rows, but user_col has " + std::to_string(n));
  std::optional<py::array_t<float, py::array::c_style>> weights;
  std::optional<py::array_t<std::int64_t, py::array::c_style>> times;
  if (!weights_object.is_none()) weights = exact_array<float>(weights_object, "weight_col");
  if (!times_object.is_none()) times = exact_array<std::int64_t>(times_object, "time_col");
  if (weights && static_cast<std::size_t>(weights->size()) != n) throw UsageError("weight_col: length differs from user_col");
  if (times && static_cast<std::size_t>(times->size()) != n) throw UsageError("time_col: length differs from user_col");
  if (events && events->size() != n) throw UsageError("event_col: length differs from user_col");
  DatasetBuilder builder(signal_table(signal));
  for (std::size_t r = 0; r < n; ++r) {
    const std::string row = " (row " + std::to_string(r) + ")";
    if (users[r].empty()) throw UsageError("user_col: empty id" + row);
    if (items[r].empty()) throw UsageError("item_col: empty id" + row);
    DatasetBuilder::Event event;
    if (weights) {
      event.weight = weights->at(static_cast<py::ssize_t>(r));
      if (!std::isfinite(event.weight) || event.weight < 0)
        throw UsageError("weight_col: expected a finite weight >= 0, got " + std::to_string(event.weight) + row);
    }
    if (times) event.time = times->at(static_cast<py::ssize_t>(r));
    if (events) {
      event.event = builder.event_code((*events)[r]);
      if (event.event < 0)
        throw UsageError("event_col: event '" + (*events)[r] + "' is not in the signal table" + row +
                         "; name it with signal=, e.g. signal=\"" + (*events)[r] + "=1\"");
    }
    event.user = builder.user(users[r]);
    event.item = builder.item(items[r]);
    builder.add(event);
  }
  return std::make_shared<Dataset>(builder.finish(source));
}

}  // namespace

void bind_data(py::module_& m) {
  py::class_<Dataset, std::shared_ptr<Dataset>>(m, "Dataset", "segue's in-memory data set (use segue.Dataset)")
      .def_property_readonly("n_users", &Dataset::n_users)
      .def_property_readonly("n_items", &Dataset::n_items)
      .def_property_readonly("n_events", [](const Dataset& d) { return d.interactions.size(); })
      .def_property_readonly("source", [](const Dataset& d) { return d.source; })
      .def("user_ids", [](const Dataset& d) { return id_list(d.users); })
      .def("item_ids", [](const Dataset& d) { return id_list(d.items); })
      .def("user_index", [](const Dataset& d, const std::string& id) { return find_id(d.users, id, "user"); })
      .def("item_index", [](const Dataset& d, const std::string& id) { return find_id(d.items, id, "item"); })
      .def("item_label", &item_label)
      .def("feedback",
           [](const Dataset& d) {
             FeedbackMatrix feedback;
             {
               py::gil_scoped_release release;
               feedback = build_feedback(d);
             }
             return feedback_arrays(std::move(feedback));
           })
      .def("events",
           [](const Dataset& d) {  // per event: user index, item index, weight, unix time (or None)
             const Interactions& e = d.interactions;
             std::vector<std::int32_t> users(static_cast<std::size_t>(e.size()));
             for (std::int32_t u = 0; u < e.n_users; ++u)
               for (std::int64_t k = e.begin(u); k < e.end(u); ++k) users[static_cast<std::size_t>(k)] = u;
             std::vector<float> weights(static_cast<std::size_t>(e.size()));
             for (std::int64_t k = 0; k < e.size(); ++k) weights[static_cast<std::size_t>(k)] = e.weight(k);
             py::object times = py::none();
             if (!e.timestamps.empty()) times = owning_array(e.timestamps.to_vector());
             return py::make_tuple(owning_array(std::move(users)), owning_array(e.items.to_vector()),
                                   owning_array(std::move(weights)), times);
           })
      .def("save", [](const Dataset& d, const std::string& dir) {
        py::gil_scoped_release release;
        save_dataset(d, dir);
      });

  m.def(
      "read_csv",
      [](const std::string& path, const std::string& user_col, const std::string& item_col,
         const std::string& weight_col, const std::string& time_col, const std::string& event_col,
         const std::string& session_col, const std::string& position_col, const std::string& delimiter,
         const std::string& signal, const std::string& on_error) {
        return read_csv(path, CsvArgs{user_col, item_col, weight_col, time_col, event_col, session_col, position_col,
                                      delimiter, signal, on_error});
      },
      py::arg("path"), py::arg("user_col"), py::arg("item_col"), py::arg("weight_col"), py::arg("time_col"),
      py::arg("event_col"), py::arg("session_col"), py::arg("position_col"), py::arg("delimiter"),
      py::arg("signal"), py::arg("on_error"));
  m.def(
      "read_interactions_csv",  // a split's train.csv / test.csv, as `segue eval` reads them
      [](const std::string& path, const std::string& signal) {
        const SignalTable table = signal_table(signal);
        IssueLog issues;
        py::gil_scoped_release release;
        return std::make_shared<Dataset>(load_interactions_csv(path, table, issues));
      },
      py::arg("path"), py::arg("signal") = "");
  m.def("from_columns", &from_columns, py::arg("users"), py::arg("items"), py::arg("weights"), py::arg("times"),
        py::arg("events"), py::arg("signal"), py::arg("source"));
  m.def(
      "load_store",
      [](const std::string& dir) {
        py::gil_scoped_release release;
        return std::make_shared<Dataset>(load_dataset(dir));
      },
      py::arg("dir"));
  m.def(
      "import_data",  // `segue import`: import, filter, save; returns the data and the filters' report
      [](const std::string& format, const std::string& input, const std::string& out, int kcore_users,
         int kcore_items, const std::string& duplicates, float min_weight, const std::string& user_col,
         const std::string& item_col, const std::string& weight_col, const std::string& time_col,
         const std::string& event_col, const std::string& delimiter, const std::string& signal,
         const std::string& on_error) {
        if (kcore_users < 0) throw UsageError("kcore_users: must be >= 0");
        if (kcore_items < 0) throw UsageError("kcore_items: must be >= 0");
        if (!(min_weight >= 0)) throw UsageError("min_weight: must be a number >= 0");
        const ImportOptions options =
            import_options(CsvArgs{user_col, item_col, weight_col, time_col, event_col, "", "", delimiter, signal, on_error});
        FilterOptions filters;
        filters.kcore_users = kcore_users;
        filters.kcore_items = kcore_items;
        filters.duplicates = parse_duplicates(duplicates);
        filters.min_weight = min_weight;
        IssueLog issues(parse_on_error(on_error));
        FilterReport report;
        std::shared_ptr<Dataset> data;
        {
          py::gil_scoped_release release;
          data = std::make_shared<Dataset>(apply_filters(import_dataset(format, input, options, issues), filters, &report));
          if (!out.empty()) save_dataset(*data, out);
        }
        std::string notes = report.summary();
        for (const auto& note : issues.notes()) notes += "note: " + note + "\n";
        if (issues.skipped() > 0) notes += "warning: " + issues.summary() + "\n";
        return py::make_tuple(data, notes);
      },
      py::arg("format"), py::arg("input"), py::arg("out"), py::arg("kcore_users"), py::arg("kcore_items"),
      py::arg("duplicates"), py::arg("min_weight"), py::arg("user_col"), py::arg("item_col"), py::arg("weight_col"),
      py::arg("time_col"), py::arg("event_col"), py::arg("delimiter"), py::arg("signal"), py::arg("on_error"));
  m.def(
      "split",  // `segue split` into `out`, read back as `segue eval` reads the files
      [](const Dataset& data, const std::string& method, std::uint64_t seed, double test_fraction, int leave_n,
         double cold_fraction, const std::string& out) {
        SplitOptions options;
        options.method = method;
        options.seed = seed;
        options.test_fraction = test_fraction;
        options.leave_n = leave_n;
        options.cold_fraction = cold_fraction;
        validate(options);
        std::shared_ptr<Dataset> train, test;
        Split split;
        {
          py::gil_scoped_release release;
          split = split_dataset(data, options);
          write_split(data, split, options, out);
          IssueLog issues;
          const std::filesystem::path dir(out);
          // The data's own event names and signals, as `segue eval --signal` would be given them.
          std::string signal;
          for (std::size_t e = 0; e < data.event_names.size(); ++e)
            signal += (e == 0 ? "" : ",") + data.event_names[e] + "=" + std::to_string(data.event_signal[e]);
          const SignalTable table = SignalTable::parse(signal);
          train = std::make_shared<Dataset>(load_interactions_csv((dir / "train.csv").string(), table, issues));
          test = std::make_shared<Dataset>(load_interactions_csv((dir / "test.csv").string(), table, issues));
        }
        py::dict summary;
        summary["train_events"] = split.train.size();
        summary["test_events"] = split.test.size();
        summary["train_users"] = split.train_users;
        summary["test_users"] = split.test_users;
        summary["dropped_events"] = split.dropped_events;
        summary["cold_start"] = to_string(split.cold);
        return py::make_tuple(train, test, summary);
      },
      py::arg("dataset"), py::arg("method"), py::arg("seed"), py::arg("test_fraction"), py::arg("leave_n"),
      py::arg("cold_fraction"), py::arg("out"));
  m.def("split_methods", &split_methods);
  m.def("import_formats", &import_formats);
}

}  // namespace segue::python
