// Small dense symmetric positive-definite solves in double precision (fold-in
// of one user, Newton steps of small models): no LAPACK call for a 64 × 64.
#pragma once

#include <cstddef>
#include <vector>

namespace segue {

// Solves A x = b in place (b becomes x) for a symmetric positive-definite
// n × n row-major A (overwritten by its Cholesky factor). False when A is not
// positive definite (or holds a non-finite value).
bool cholesky_solve(std::vector<double>& a, std::vector<double>& b, std::size_t n);

}  // namespace segue
