// The _segue extension: pybind11 bindings over segue_core. The package
// python/segue wraps it (argument conversion, pandas, tqdm); docs/PYTHON.md.
#include "bindings.h"
#include "models/runtime.h"

PYBIND11_MODULE(_segue, m) {
  namespace py = pybind11;
  using namespace segue;
  m.doc() = "segue's C++ library (use the segue package)";
  // Wrong arguments and bad input files are ValueErrors with segue's message,
  // which names the argument, or the file, line and field.
  static py::exception<InputError> input_error(m, "InputError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const InputError& e) {
      input_error(e.what());
    }
  });
  m.def(
      "set_threads",
      [](int threads) {
        ensure_runtime();
        set_default_threads(threads);
      },
      py::arg("threads"), "Size of segue's process thread pool (<= 0: all cores)");
  m.def("default_threads", [] { return default_thread_pool().size(); });
  segue::python::bind_data(m);
  segue::python::bind_models(m);
  segue::python::bind_eval(m);
}
