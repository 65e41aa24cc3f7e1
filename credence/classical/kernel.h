// Covariance functions for Gaussian processes (Rasmussen & Williams 2006, ch. 4): RBF, Matern
// 1/2, 3/2, 5/2, rational quadratic, periodic, linear, white noise and constant, with sums and
// products of them, parsed from a small expression grammar ("rbf(ard)+white").
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::classical {

enum class KernelType { rbf, matern12, matern32, matern52, rational_quadratic, periodic, linear, white, constant, sum, product };

// One named positive hyper-parameter of a kernel, held in log space. An ARD length scale (or
// linear variance) has one value per input feature.
struct KernelParameter {
  std::string name;
  std::vector<double> log_value;
  bool fixed = false;  // excluded from the optimisation
};

// A kernel expression: a leaf (one covariance function with its parameters) or the sum or
// product of two or more kernels. Values are copied freely; evaluation never changes them.
//
// White noise is Kronecker's delta on the identity of data points: it adds noise_level to
// the diagonal of a kernel's Gram matrix on the training rows and nothing to the covariance
// between two different sets of rows (as scikit-learn's WhiteKernel). A kernel's "signal" is
// the same expression with white noise set to zero: the covariance of the latent function,
// whose posterior variance is the epistemic part of a prediction; the rest of the diagonal
// (full minus signal) is the noise, the aleatoric part. This holds for any expression,
// products and sums of white noise with other kernels included.
class Kernel {
 public:
  Kernel() = default;

  // Leaves with their default parameters (all 1, isotropic).
  static Kernel leaf(KernelType type, bool ard = false);
  // The sum or product of two or more kernels.
  static Kernel combination(KernelType type, std::vector<Kernel> children);
  // Sets a leaf's parameter (natural units, positive; a list for an ARD parameter) or fixes
  // all of its parameters; throws std::invalid_argument for an unknown name or a bad value.
  Kernel& set(const std::string& name, const std::vector<double>& values);
  Kernel& fix(bool fixed = true);

  // Parses the grammar documented in docs/classical.md:
  //   sum     := product ('+' product)*
  //   product := factor ('*' factor)*
  //   factor  := NAME ['(' arg (',' arg)* ')'] | '(' sum ')'
  //   arg     := 'ard' | 'fixed' | PARAM '=' NUMBER | PARAM '=' '[' NUMBER (',' NUMBER)* ']'
  // NAME is rbf, matern12, matern32, matern52, rq, periodic, linear, white or constant;
  // spaces are ignored. Throws std::invalid_argument naming the 1-based character position
  // and what was expected there.
  static Kernel parse(const std::string& expression);

  // The expression with every parameter's value (17 significant digits, so that parse()
  // gives back the same kernel bit for bit).
  std::string to_string() const;

  KernelType type() const { return type_; }
  const std::vector<Kernel>& children() const { return children_; }
  const std::vector<KernelParameter>& parameters() const { return parameters_; }
  bool ard() const { return ard_; }
  bool contains(KernelType type) const;

  // Sizes ARD parameters for `features` inputs (a scalar initial value is repeated); throws
  // std::invalid_argument when a given list has another length.
  Kernel bound_to(int64_t features) const;

  // The free (not fixed) parameters, flattened depth-first, in log space, with their names
  // ("rbf.length_scale[2]"; a second rbf in the expression is "rbf_2").
  at::Tensor free_log_parameters() const;
  std::vector<std::string> free_parameter_names() const;
  int64_t n_free_parameters() const;
  // A copy with the free parameters replaced (log space, the layout of free_log_parameters).
  Kernel with_free_log_parameters(const at::Tensor& log_parameters) const;
  // Every parameter, fixed ones included, in the same order: what a model file stores, since
  // printed values come back through exp and log only to within an ulp.
  at::Tensor all_log_parameters() const;
  Kernel with_all_log_parameters(const at::Tensor& log_parameters) const;

  // Covariances evaluated with the free parameters taken from `log_parameters` (a tensor that
  // may require grad: every operation is differentiable, so autograd gives the derivatives
  // with respect to the hyper-parameters and the inputs). Undefined: the kernel's own values.
  // x1 [n, d], x2 [m, d] float64.
  at::Tensor cross(const at::Tensor& x1, const at::Tensor& x2, const at::Tensor& log_parameters = {}) const;  // signal, [n, m]
  at::Tensor gram(const at::Tensor& x, const at::Tensor& log_parameters = {}) const;                           // with noise, [n, n]
  at::Tensor signal_gram(const at::Tensor& x, const at::Tensor& log_parameters = {}) const;                    // [n, n]
  at::Tensor diagonal(const at::Tensor& x, const at::Tensor& log_parameters = {}) const;                       // with noise, [n]
  at::Tensor signal_diagonal(const at::Tensor& x, const at::Tensor& log_parameters = {}) const;                // [n]

  // sum_ij W_ij dK_ij / dlog theta_p for every free parameter p, with K = gram(x) and W [n, n]
  // symmetric: the contraction that the log marginal likelihood's gradient needs, in closed
  // form per kernel (a few passes over [n, n] and [n, n] x [n, d] products, where a reverse
  // pass of autograd through the expression takes several times longer). [p]
  at::Tensor gram_gradient_contraction(const at::Tensor& x, const at::Tensor& w) const;

 private:
  struct Context;
  at::Tensor evaluate(const Context& context, int64_t& offset) const;
  at::Tensor matrix(const Context& context) const;  // evaluate() written out as a dense matrix
  at::Tensor evaluate_diagonal(const Context& context, int64_t& offset) const;
  at::Tensor parameter_values(const KernelParameter& parameter, const Context& context, int64_t& offset) const;
  void collect_names(std::vector<std::string>& names, std::vector<int>& counts) const;
  void collect_values(std::vector<double>& values, bool include_fixed) const;
  void assign(const double*& values, bool include_fixed);
  void contract(const at::Tensor& x, const at::Tensor& w, std::vector<double>& out) const;

  KernelType type_ = KernelType::rbf;
  std::vector<Kernel> children_;
  std::vector<KernelParameter> parameters_;
  bool ard_ = false;
};

std::string to_string(KernelType type);

}  // namespace credence::classical
