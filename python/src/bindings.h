// Shared helpers of the _segue extension: numpy arrays that own C++ vectors,
// argument checks that name the argument, the per-call thread pool.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/error.h"
#include "util/thread_pool.h"

namespace segue::python {

namespace py = pybind11;

// A numpy array that owns `values` (moved into a capsule: no copy).
template <class T>
py::array_t<T> owning_array(std::vector<T>&& values, std::vector<py::ssize_t> shape) {
  auto* owner = new std::vector<T>(std::move(values));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owner->data(), free_when_done);
}
template <class T>
py::array_t<T> owning_array(std::vector<T>&& values) {
  const auto n = static_cast<py::ssize_t>(values.size());
  return owning_array(std::move(values), {n});
}

// A C-contiguous 1-D array of exactly dtype T, or a UsageError naming `argument`
// (the Python layer converts dtypes before calling; here nothing is converted).
template <class T>
py::array_t<T, py::array::c_style> exact_array(const py::handle& object, const char* argument) {
  if (!py::isinstance<py::array_t<T, py::array::c_style>>(object))
    throw UsageError(std::string(argument) + ": expected a contiguous numpy array of " +
                     py::str(py::dtype::of<T>()).cast<std::string>());
  auto array = py::reinterpret_borrow<py::array_t<T, py::array::c_style>>(object);
  if (array.ndim() != 1) throw UsageError(std::string(argument) + ": expected a 1-D array");
  return array;
}

// threads=None: segue's process pool; threads=N: a pool of N for this call.
class CallPool {
 public:
  explicit CallPool(std::optional<int> threads) {
    if (threads) {
      if (*threads < 1) throw UsageError("threads: must be at least 1, got " + std::to_string(*threads));
      own_ = std::make_unique<ThreadPool>(*threads);
    }
  }
  ThreadPool* get() const { return own_.get(); }  // null = the default pool

 private:
  std::unique_ptr<ThreadPool> own_;
};

void bind_data(py::module_& m);
void bind_models(py::module_& m);
void bind_eval(py::module_& m);

}  // namespace segue::python
