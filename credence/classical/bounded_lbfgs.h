// Limited-memory BFGS within box bounds (a projected quasi-Newton method in the spirit of
// L-BFGS-B, Byrd et al. 1995): the optimiser of the Gaussian processes' hyper-parameters.
#pragma once

#include <torch/arg.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace credence::classical {

struct BoundedLbfgsOptions {
  TORCH_ARG(int64_t, max_iter) = 200;
  TORCH_ARG(int64_t, history) = 10;
  // Stop when the largest projected gradient component falls to this (scipy's pgtol).
  TORCH_ARG(double, gradient_tolerance) = 1e-5;
  // Stop when (f_old - f_new) / max(|f_old|, |f_new|, 1) falls to this (scipy's ftol = factr * eps).
  TORCH_ARG(double, function_tolerance) = 2.220446049250313e-09;
  TORCH_ARG(int64_t, max_line_search) = 20;
};

struct BoundedLbfgsResult {
  std::vector<double> x;
  double value = 0.0;
  std::vector<double> gradient;
  int64_t iterations = 0;
  int64_t evaluations = 0;
  bool converged = false;
  std::string stop_reason;
};

// f(x, gradient) returns the value and writes the gradient (resized to x's size by the
// caller). A value that is not finite marks a point outside the domain: the line search
// steps back from it. Variables at a bound whose gradient points outwards are held there
// for the step; the others follow the two-loop L-BFGS direction, cut at the box's edge, with a
// strong Wolfe line search (cubic interpolation, Nocedal & Wright 3.5-3.6). Bounds may be infinite.
using BoundedObjective = std::function<double(const std::vector<double>& x, std::vector<double>& gradient)>;

// Throws std::invalid_argument for mismatched sizes, lower > upper or a non-finite value at
// the (projected) starting point.
BoundedLbfgsResult minimise_bounded_lbfgs(const BoundedObjective& objective, std::vector<double> x0,
                                          const std::vector<double>& lower, const std::vector<double>& upper,
                                          const BoundedLbfgsOptions& options = {});

}  // namespace credence::classical
