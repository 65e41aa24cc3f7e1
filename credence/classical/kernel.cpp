// Kernel expressions: parsing, printing and differentiable evaluation.
#include "credence/classical/kernel.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cctype>
#include <functional>
#include <stdexcept>

namespace credence::classical {

namespace {

struct LeafSpec {
  KernelType type;
  const char* name;
  std::vector<const char*> parameters;  // in storage order
  bool ard_allowed;
  int ard_parameter;  // index of the parameter that ARD gives one value per feature
};

const std::vector<LeafSpec>& leaf_specs() {
  static const std::vector<LeafSpec> specs = {
      {KernelType::rbf, "rbf", {"variance", "length_scale"}, true, 1},
      {KernelType::matern12, "matern12", {"variance", "length_scale"}, true, 1},
      {KernelType::matern32, "matern32", {"variance", "length_scale"}, true, 1},
      {KernelType::matern52, "matern52", {"variance", "length_scale"}, true, 1},
      {KernelType::rational_quadratic, "rq", {"variance", "length_scale", "alpha"}, true, 1},
      {KernelType::periodic, "periodic", {"variance", "length_scale", "period"}, true, 1},
      {KernelType::linear, "linear", {"variance"}, true, 0},
      {KernelType::white, "white", {"noise_level"}, false, -1},
      {KernelType::constant, "constant", {"value"}, false, -1},
  };
  return specs;
}

const LeafSpec& spec_of(KernelType type) {
  for (const auto& spec : leaf_specs()) {
    if (spec.type == type) return spec;
  }
  throw std::logic_error("kernel: not a leaf type");
}

std::string names_list() {
  std::string list;
  for (const auto& spec : leaf_specs()) list += (list.empty() ? "" : ", ") + std::string(spec.name);
  return list;
}

std::string format_number(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

at::TensorOptions float64() { return at::TensorOptions().dtype(at::kDouble); }

// Euclidean distances computed from coordinate differences, not |a|^2 + |b|^2 - 2 a.b, whose
// cancellation would cost digits on nearby points; the derivative at a zero distance is zero.
at::Tensor distances(const at::Tensor& a, const at::Tensor& b) {
  return at::cdist(a.contiguous(), b.contiguous(), 2.0, /*compute_mode: never the matrix product*/ 2);
}

// Recursive-descent parser over the expression text; positions are 1-based for messages.
class Parser {
 public:
  explicit Parser(const std::string& text) : text_(text) {}

  Kernel parse() {
    skip_spaces();
    if (at_end()) fail("expected a kernel (" + names_list() + "), got an empty expression");
    auto kernel = parse_sum();
    skip_spaces();
    if (!at_end()) fail(std::string("expected '+', '*' or the end of the expression, got '") + text_[pos_] + "'");
    return kernel;
  }

  [[noreturn]] void fail(const std::string& what, size_t position = std::string::npos) const {
    const size_t at = position == std::string::npos ? pos_ : position;
    throw std::invalid_argument("kernel '" + text_ + "': position " + std::to_string(at + 1) + ": " + what);
  }

 private:
  bool at_end() const { return pos_ >= text_.size(); }
  void skip_spaces() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool accept(char c) {
    skip_spaces();
    if (!at_end() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string word() {
    skip_spaces();
    const size_t start = pos_;
    while (!at_end() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  Kernel combine(KernelType type, std::vector<Kernel> parts);

  Kernel parse_sum() {
    std::vector<Kernel> terms{parse_product()};
    while (accept('+')) terms.push_back(parse_product());
    return combine(KernelType::sum, std::move(terms));
  }

  Kernel parse_product() {
    std::vector<Kernel> factors{parse_factor()};
    while (accept('*')) factors.push_back(parse_factor());
    return combine(KernelType::product, std::move(factors));
  }

  Kernel parse_factor() {
    skip_spaces();
    if (at_end()) fail("expected a kernel (" + names_list() + ") or '(', got the end of the expression");
    if (accept('(')) {
      auto inner = parse_sum();
      if (!accept(')')) fail(at_end() ? "expected ')', got the end of the expression" : std::string("expected ')', got '") + text_[pos_] + "'");
      return inner;
    }
    const size_t start = pos_;
    const std::string name = word();
    if (name.empty()) fail(std::string("expected a kernel (") + names_list() + ") or '(', got '" + text_[pos_] + "'");
    const LeafSpec* spec = nullptr;
    for (const auto& s : leaf_specs()) {
      if (name == s.name) spec = &s;
    }
    if (!spec) fail("unknown kernel '" + name + "' (expected " + names_list() + ")", start);
    return parse_arguments(*spec);
  }

  Kernel parse_arguments(const LeafSpec& spec);

  double number() {
    skip_spaces();
    const size_t start = pos_;
    const char* begin = text_.c_str() + pos_;
    char* end = nullptr;
    const double value = std::strtod(begin, &end);
    if (end == begin) fail("expected a number");
    pos_ += static_cast<size_t>(end - begin);
    if (!(value > 0) || !std::isfinite(value)) fail("expected a positive finite number, got " + text_.substr(start, pos_ - start), start);
    return value;
  }

  const std::string& text_;
  size_t pos_ = 0;
};

}  // namespace

std::string to_string(KernelType type) {
  if (type == KernelType::sum) return "sum";
  if (type == KernelType::product) return "product";
  return spec_of(type).name;
}

Kernel Kernel::leaf(KernelType type, bool ard) {
  const auto& spec = spec_of(type);
  if (ard && !spec.ard_allowed) throw std::invalid_argument(std::string("kernel: ") + spec.name + " has no ARD form");
  Kernel kernel;
  kernel.type_ = type;
  kernel.ard_ = ard;
  for (const char* name : spec.parameters) kernel.parameters_.push_back({name, {0.0}, false});
  return kernel;
}

namespace {

Kernel Parser::combine(KernelType type, std::vector<Kernel> parts) {
  if (parts.size() == 1) return std::move(parts.front());
  // (a+b)+c is a+b+c: one flat node, so that printing and parsing give the same tree.
  std::vector<Kernel> flat;
  for (auto& part : parts) {
    if (part.type() == type) {
      for (const auto& child : part.children()) flat.push_back(child);
    } else {
      flat.push_back(std::move(part));
    }
  }
  return Kernel::combination(type, std::move(flat));
}

Kernel Parser::parse_arguments(const LeafSpec& spec) {
  bool ard = false, fixed = false;
  std::vector<std::pair<std::string, std::vector<double>>> values;
  if (accept('(')) {
    if (!accept(')')) {
      do {
        const size_t start = (skip_spaces(), pos_);
        const std::string key = word();
        if (key.empty()) fail(at_end() ? "expected an argument, got the end of the expression" : std::string("expected an argument, got '") + text_[pos_] + "'");
        if (key == "ard") {
          if (!spec.ard_allowed) fail(std::string(spec.name) + " has no ARD form", start);
          ard = true;
          continue;
        }
        if (key == "fixed") {
          fixed = true;
          continue;
        }
        std::string canonical = key;
        if (key == "length") canonical = "length_scale";
        if (key == "noise" || (spec.type == KernelType::white && key == "variance")) canonical = "noise_level";
        if (spec.type == KernelType::constant && key == "variance") canonical = "value";
        bool known = false;
        for (const char* p : spec.parameters) known = known || canonical == p;
        if (!known) {
          std::string expected;
          for (const char* p : spec.parameters) expected += (expected.empty() ? "" : ", ") + std::string(p);
          fail("unknown parameter '" + key + "' of " + spec.name + " (expected " + expected + ", ard or fixed)", start);
        }
        if (!accept('=')) fail("expected '=' after '" + key + "'");
        std::vector<double> list;
        if (accept('[')) {
          do list.push_back(number());
          while (accept(','));
          if (!accept(']')) fail("expected ',' or ']' in the list of values");
          const bool ard_parameter = spec.ard_parameter >= 0 && canonical == spec.parameters[spec.ard_parameter];
          if (!ard_parameter) fail("only an ARD parameter takes a list of values", start);
          ard = true;
        } else {
          list.push_back(number());
        }
        values.emplace_back(canonical, list);
      } while (accept(','));
      if (!accept(')')) fail(at_end() ? "expected ',' or ')', got the end of the expression" : std::string("expected ',' or ')', got '") + text_[pos_] + "'");
    }
  }
  auto kernel = Kernel::leaf(spec.type, ard);
  for (const auto& [name, list] : values) kernel.set(name, list);
  return kernel.fix(fixed);
}

}  // namespace

Kernel Kernel::combination(KernelType type, std::vector<Kernel> children) {
  if (type != KernelType::sum && type != KernelType::product) throw std::logic_error("kernel: not a combination");
  if (children.size() < 2) throw std::invalid_argument("kernel: a sum or product needs at least two kernels");
  Kernel kernel;
  kernel.type_ = type;
  kernel.children_ = std::move(children);
  return kernel;
}

Kernel Kernel::parse(const std::string& expression) { return Parser(expression).parse(); }

Kernel& Kernel::set(const std::string& name, const std::vector<double>& values) {
  if (type_ == KernelType::sum || type_ == KernelType::product) throw std::invalid_argument("kernel: a sum or product has no parameters of its own");
  const auto& spec = spec_of(type_);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    auto& p = parameters_[i];
    if (p.name != name) continue;
    if (values.empty() || (values.size() > 1 && static_cast<int>(i) != spec.ard_parameter)) {
      throw std::invalid_argument(std::string("kernel ") + spec.name + ": " + name + " takes one value");
    }
    for (double v : values) {
      if (!(v > 0) || !std::isfinite(v)) throw std::invalid_argument(std::string("kernel ") + spec.name + ": " + name + " must be positive and finite");
    }
    p.log_value.clear();
    for (double v : values) p.log_value.push_back(std::log(v));
    if (values.size() > 1) ard_ = true;
    return *this;
  }
  throw std::invalid_argument(std::string("kernel ") + spec.name + " has no parameter '" + name + "'");
}

Kernel& Kernel::fix(bool fixed) {
  for (auto& p : parameters_) p.fixed = fixed;
  return *this;
}

std::string Kernel::to_string() const {
  if (type_ == KernelType::sum || type_ == KernelType::product) {
    std::string text;
    for (const auto& child : children_) {
      if (!text.empty()) text += type_ == KernelType::sum ? " + " : " * ";
      const bool wrap = type_ == KernelType::product && child.type_ == KernelType::sum;
      text += wrap ? "(" + child.to_string() + ")" : child.to_string();
    }
    return text;
  }
  std::string text = spec_of(type_).name;
  text += "(";
  bool first = true;
  auto add = [&](const std::string& part) {
    text += (first ? "" : ", ") + part;
    first = false;
  };
  const auto& spec = spec_of(type_);
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const auto& p = parameters_[i];
    const bool list = ard_ && static_cast<int>(i) == spec.ard_parameter && p.log_value.size() > 1;
    if (ard_ && static_cast<int>(i) == spec.ard_parameter && !list) add("ard");
    std::string value;
    if (list) {
      value = "[";
      for (size_t j = 0; j < p.log_value.size(); ++j) value += (j ? ", " : "") + format_number(std::exp(p.log_value[j]));
      value += "]";
    } else {
      value = format_number(std::exp(p.log_value.front()));
    }
    add(p.name + "=" + value);
  }
  if (!parameters_.empty() && parameters_.front().fixed) add("fixed");
  return text + ")";
}

bool Kernel::contains(KernelType type) const {
  if (type_ == type) return true;
  for (const auto& child : children_) {
    if (child.contains(type)) return true;
  }
  return false;
}

Kernel Kernel::bound_to(int64_t features) const {
  Kernel kernel = *this;
  for (auto& child : kernel.children_) child = child.bound_to(features);
  if (kernel.ard_) {
    auto& p = kernel.parameters_.at(spec_of(type_).ard_parameter);
    if (p.log_value.size() == 1) {
      p.log_value.assign(static_cast<size_t>(features), p.log_value.front());
    } else if (static_cast<int64_t>(p.log_value.size()) != features) {
      throw std::invalid_argument("kernel " + std::string(spec_of(type_).name) + ": " + p.name + " has " +
                                  std::to_string(p.log_value.size()) + " values but the data has " + std::to_string(features) +
                                  " features");
    }
  }
  return kernel;
}

void Kernel::collect_values(std::vector<double>& values, bool include_fixed) const {
  // Depth-first, children in order: the same walk as evaluate().
  for (const auto& p : parameters_) {
    if (include_fixed || !p.fixed) values.insert(values.end(), p.log_value.begin(), p.log_value.end());
  }
  for (const auto& child : children_) child.collect_values(values, include_fixed);
}

at::Tensor Kernel::free_log_parameters() const {
  std::vector<double> values;
  collect_values(values, false);
  return at::tensor(values, float64()).reshape({static_cast<int64_t>(values.size())});
}

at::Tensor Kernel::all_log_parameters() const {
  std::vector<double> values;
  collect_values(values, true);
  return at::tensor(values, float64()).reshape({static_cast<int64_t>(values.size())});
}

int64_t Kernel::n_free_parameters() const { return free_log_parameters().size(0); }

void Kernel::collect_names(std::vector<std::string>& names, std::vector<int>& counts) const {
  if (type_ != KernelType::sum && type_ != KernelType::product) {
    const int occurrence = ++counts[static_cast<int>(type_)];
    const std::string prefix = std::string(spec_of(type_).name) + (occurrence > 1 ? "_" + std::to_string(occurrence) : "");
    for (const auto& p : parameters_) {
      if (p.fixed) continue;
      if (p.log_value.size() == 1) {
        names.push_back(prefix + "." + p.name);
      } else {
        for (size_t j = 0; j < p.log_value.size(); ++j) names.push_back(prefix + "." + p.name + "[" + std::to_string(j) + "]");
      }
    }
  }
  for (const auto& child : children_) child.collect_names(names, counts);
}

std::vector<std::string> Kernel::free_parameter_names() const {
  std::vector<std::string> names;
  std::vector<int> counts(16, 0);
  collect_names(names, counts);
  return names;
}

void Kernel::assign(const double*& values, bool include_fixed) {
  for (auto& p : parameters_) {
    if (p.fixed && !include_fixed) continue;
    for (auto& v : p.log_value) v = *values++;
  }
  for (auto& child : children_) child.assign(values, include_fixed);
}

namespace {
Kernel assigned(const Kernel& kernel, const at::Tensor& log_parameters, int64_t expected,
                const std::function<void(Kernel&, const double*&)>& assign) {
  const auto values = log_parameters.detach().to(at::kDouble).contiguous();
  if (values.numel() != expected) {
    throw std::invalid_argument("kernel: expected " + std::to_string(expected) + " parameters, got " + std::to_string(values.numel()));
  }
  Kernel copy = kernel;
  const double* pointer = values.data_ptr<double>();
  assign(copy, pointer);
  return copy;
}
}  // namespace

Kernel Kernel::with_free_log_parameters(const at::Tensor& log_parameters) const {
  return assigned(*this, log_parameters, n_free_parameters(), [](Kernel& k, const double*& v) { k.assign(v, false); });
}

Kernel Kernel::with_all_log_parameters(const at::Tensor& log_parameters) const {
  return assigned(*this, log_parameters, all_log_parameters().numel(), [](Kernel& k, const double*& v) { k.assign(v, true); });
}

struct Kernel::Context {
  at::Tensor x1, x2;
  bool same = false;   // x2 is x1: white noise sits on the diagonal
  bool noise = false;  // white noise counts (the full kernel) or is zero (the signal)
  at::Tensor log_parameters;
};

at::Tensor Kernel::parameter_values(const KernelParameter& parameter, const Context& context, int64_t& offset) const {
  const int64_t count = static_cast<int64_t>(parameter.log_value.size());
  if (!context.log_parameters.defined() || parameter.fixed) {
    return at::tensor(parameter.log_value, float64()).exp();
  }
  auto values = context.log_parameters.slice(0, offset, offset + count).exp();
  offset += count;
  return values;
}

// evaluate() returns a fresh matrix, or an undefined tensor for a matrix of zeros (white noise off
// the diagonal or left out): sums skip it, products become it, and the public entry points
// (cross, gram, signal_gram) write it out. A fresh matrix is updated in place, one pass over it
// fewer per operation, unless the inputs or the log parameters carry autograd (its graph would
// need the values overwritten).
at::Tensor Kernel::evaluate(const Context& c, int64_t& offset) const {
  const bool in_place = !c.x1.requires_grad() && !c.x2.requires_grad() &&
                        !(c.log_parameters.defined() && c.log_parameters.requires_grad());
  if (type_ == KernelType::sum || type_ == KernelType::product) {
    at::Tensor result;
    bool zero = false;
    for (size_t i = 0; i < children_.size(); ++i) {
      auto value = children_[i].evaluate(c, offset);
      if (type_ == KernelType::sum) {
        if (!value.defined()) continue;
        result = !result.defined() ? value : (in_place ? result.add_(value) : result + value);
      } else {
        zero = zero || !value.defined();
        if (zero) continue;  // later children still advance the offset
        result = i == 0 ? value : (in_place ? result.mul_(value) : result * value);
      }
    }
    return zero ? at::Tensor() : result;
  }
  std::vector<at::Tensor> p;
  for (const auto& parameter : parameters_) p.push_back(parameter_values(parameter, c, offset));
  const int64_t n = c.x1.size(0), m = c.x2.size(0);
  switch (type_) {
    case KernelType::white:
      if (c.same && c.noise) return at::eye(n, c.x1.options()) * p[0];
      return at::Tensor();  // zeros
    case KernelType::constant:
      return at::ones({n, m}, c.x1.options()) * p[0];
    case KernelType::linear:
      return (c.x1 * p[0]).matmul(c.x2.t());
    case KernelType::periodic: {
      // exp(-2 sum_k sin^2(pi (x_k - x'_k) / period) / l_k^2), a product of one-dimensional
      // periodic kernels (MacKay 1998; scikit-learn's ExpSineSquared in one dimension, whose
      // Euclidean form is not positive definite in more). With 2 sin^2(t) = 1 - cos(2t) the sum
      // is two matrix products of the embedding (cos, sin)(2 pi x / period).
      const auto w1 = 2.0 * M_PI * c.x1 / p[2];
      const auto w2 = c.same ? w1 : 2.0 * M_PI * c.x2 / p[2];
      const auto inverse_squares = p[1].pow(-2).expand({c.x1.size(1)});
      const auto cosine = (at::cos(w1) * inverse_squares).matmul(at::cos(w2).t()) + (at::sin(w1) * inverse_squares).matmul(at::sin(w2).t());
      const auto sum = (inverse_squares.sum() - cosine).clamp_min(0.0);  // = 2 sum_k sin^2(.) / l_k^2
      return p[0] * at::exp(-sum);
    }
    default:
      break;
  }
  // Stationary kernels of the scaled distance r = |(x - x') / l|.
  const auto z1 = c.x1 / p[1];
  auto r = distances(z1, c.same ? z1 : c.x2 / p[1]);
  switch (type_) {
    case KernelType::rbf:
      if (in_place) return r.square_().mul_(-0.5).exp_().mul_(p[0]);
      return p[0] * at::exp(-0.5 * r.pow(2));
    case KernelType::matern12: return p[0] * at::exp(-r);
    case KernelType::matern32: {
      const auto s = std::sqrt(3.0) * r;
      return p[0] * (1.0 + s) * at::exp(-s);
    }
    case KernelType::matern52: {
      const auto s = std::sqrt(5.0) * r;
      return p[0] * (1.0 + s + s.pow(2) / 3.0) * at::exp(-s);
    }
    case KernelType::rational_quadratic: return p[0] * at::pow(1.0 + r.pow(2) / (2.0 * p[2]), -p[2]);
    default: throw std::logic_error("kernel: unhandled type");
  }
}

at::Tensor Kernel::evaluate_diagonal(const Context& c, int64_t& offset) const {
  if (type_ == KernelType::sum || type_ == KernelType::product) {
    at::Tensor result;
    for (const auto& child : children_) {
      auto value = child.evaluate_diagonal(c, offset);
      result = !result.defined() ? value : (type_ == KernelType::sum ? result + value : result * value);
    }
    return result;
  }
  std::vector<at::Tensor> p;
  for (const auto& parameter : parameters_) p.push_back(parameter_values(parameter, c, offset));
  const int64_t n = c.x1.size(0);
  switch (type_) {
    case KernelType::white: return at::ones({n}, c.x1.options()) * (c.noise ? p[0] : at::zeros_like(p[0]));
    case KernelType::linear: return (c.x1.pow(2) * p[0]).sum(1);
    default: return at::ones({n}, c.x1.options()) * p[0];  // k(x, x) = variance (or the constant)
  }
}

namespace {
at::Tensor checked_inputs(const at::Tensor& x, const char* what) {
  if (!x.defined() || x.dim() != 2) throw std::invalid_argument(std::string("kernel: ") + what + " must be a 2-D [rows, features] matrix");
  return x.scalar_type() == at::kDouble ? x : x.to(at::kDouble);
}
}  // namespace

at::Tensor Kernel::matrix(const Context& c) const {
  int64_t offset = 0;
  auto k = evaluate(c, offset);
  return k.defined() ? k : at::zeros({c.x1.size(0), c.x2.size(0)}, c.x1.options());
}

at::Tensor Kernel::cross(const at::Tensor& x1, const at::Tensor& x2, const at::Tensor& log_parameters) const {
  return matrix(Context{checked_inputs(x1, "x1"), checked_inputs(x2, "x2"), false, false, log_parameters});
}

at::Tensor Kernel::gram(const at::Tensor& x, const at::Tensor& log_parameters) const {
  const auto inputs = checked_inputs(x, "x");
  return matrix(Context{inputs, inputs, true, true, log_parameters});
}

at::Tensor Kernel::signal_gram(const at::Tensor& x, const at::Tensor& log_parameters) const {
  const auto inputs = checked_inputs(x, "x");
  return matrix(Context{inputs, inputs, true, false, log_parameters});
}

at::Tensor Kernel::diagonal(const at::Tensor& x, const at::Tensor& log_parameters) const {
  const auto inputs = checked_inputs(x, "x");
  Context c{inputs, inputs, true, true, log_parameters};
  int64_t offset = 0;
  return evaluate_diagonal(c, offset);
}

at::Tensor Kernel::signal_diagonal(const at::Tensor& x, const at::Tensor& log_parameters) const {
  const auto inputs = checked_inputs(x, "x");
  Context c{inputs, inputs, true, false, log_parameters};
  int64_t offset = 0;
  return evaluate_diagonal(c, offset);
}

}  // namespace credence::classical

namespace credence::classical {

void Kernel::contract(const at::Tensor& x, const at::Tensor& w, std::vector<double>& out) const {
  if (type_ == KernelType::sum) {
    for (const auto& child : children_) child.contract(x, w, out);
    return;
  }
  if (type_ == KernelType::product) {
    // d(prod_c K_c) = sum_c dK_c prod_{o != c} K_o: child c contracts with W times the others.
    std::vector<at::Tensor> grams;
    for (const auto& child : children_) grams.push_back(child.gram(x));
    for (size_t c = 0; c < children_.size(); ++c) {
      if (children_[c].n_free_parameters() == 0) continue;
      auto weight = w.clone();
      for (size_t o = 0; o < children_.size(); ++o) {
        if (o != c) weight.mul_(grams[o]);
      }
      children_[c].contract(x, weight, out);
    }
    return;
  }
  std::vector<at::Tensor> p;
  for (const auto& parameter : parameters_) p.push_back(at::tensor(parameter.log_value, float64()).exp());
  // One entry per free parameter value, in storage order.
  std::vector<at::Tensor> derivatives(parameters_.size());
  const int64_t n = x.size(0);
  switch (type_) {
    case KernelType::white: derivatives[0] = (w.diagonal().sum() * p[0]).reshape({1}); break;
    case KernelType::constant: derivatives[0] = (w.sum() * p[0]).reshape({1}); break;
    case KernelType::linear: {
      // dK/dlog v_k = v_k x_k x_k^T.
      const auto per_feature = (x * w.matmul(x)).sum(0) * p[0];
      derivatives[0] = p[0].numel() == 1 ? per_feature.sum().reshape({1}) : per_feature;
      break;
    }
    case KernelType::periodic: {
      // K = v exp(-S), S = sum_k (1 - cos theta_k) / l_k^2, theta_k = 2 pi (x_ik - x_jk) / period.
      const auto k = gram(x);
      const auto m = w * k;
      const auto angle = 2.0 * M_PI * x / p[2];
      const auto c = at::cos(angle), s = at::sin(angle);
      const auto mc = m.matmul(c), ms = m.matmul(s);
      const auto inverse_squares = p[1].pow(-2).expand({x.size(1)});
      derivatives[0] = m.sum().reshape({1});
      // dK/dlog l_k = 2 K (1 - cos theta_k) / l_k^2, with sum_ij M_ij cos theta_k = c_k^T M c_k + s_k^T M s_k.
      const auto lengths = 2.0 * inverse_squares * (m.sum() - (c * mc).sum(0) - (s * ms).sum(0));
      derivatives[1] = p[1].numel() == 1 ? lengths.sum().reshape({1}) : lengths;
      // dK/dlog period = K sum_k theta_k sin theta_k / l_k^2, and sin(a - b) = sin a cos b - cos a sin b.
      const auto cross = 2.0 * ((x * s * mc).sum(0) - (x * c * ms).sum(0));
      derivatives[2] = ((2.0 * M_PI / p[2]) * (inverse_squares * cross).sum()).reshape({1});
      break;
    }
    default: {
      // Stationary: K = v f(s) with s = sum_k (x_ik - x_jk)^2 / l_k^2, so dK/dlog l_k = -2 v f'(s) s_k.
      // One pass over the pairs i < j (W is symmetric), without [n, n] temporaries: at this size
      // each elementwise tensor operation costs as much as the whole loop.
      const auto xc = x.contiguous();
      const auto wc = w.contiguous();
      const double* xs = xc.data_ptr<double>();
      const double* ws = wc.data_ptr<double>();
      const int64_t d = x.size(1);
      const double v = p[0].item<double>();
      const double alpha = type_ == KernelType::rational_quadratic ? p[2].item<double>() : 0.0;
      std::vector<double> inverse_squares(d), lengths(d, 0.0), squares(d);
      const auto ls = p[1].contiguous();
      for (int64_t k = 0; k < d; ++k) inverse_squares[k] = 1.0 / std::pow(ls.data_ptr<double>()[ls.numel() == 1 ? 0 : k], 2);
      double variance = 0.0, shape = 0.0;
      const double root3 = std::sqrt(3.0), root5 = std::sqrt(5.0);
      for (int64_t i = 0; i < n; ++i) {
        variance += ws[i * n + i] * v;  // s = 0 on the diagonal: k = v, and no length or shape term
        const double* xi = xs + i * d;
        for (int64_t j = i + 1; j < n; ++j) {
          const double* xj = xs + j * d;
          double squared = 0.0;
          for (int64_t k = 0; k < d; ++k) {
            const double diff = xi[k] - xj[k];
            squares[k] = diff * diff * inverse_squares[k];
            squared += squares[k];
          }
          double value, slope;  // k(s) and v f'(s)
          switch (type_) {
            case KernelType::rbf:
              value = v * std::exp(-0.5 * squared);
              slope = -0.5 * value;
              break;
            case KernelType::matern12: {
              const double r = std::sqrt(squared);
              value = v * std::exp(-r);
              slope = r > 0 ? -value / (2.0 * r) : 0.0;  // unbounded f' at r = 0, where every s_k is 0 too
              break;
            }
            case KernelType::matern32: {
              const double e = std::exp(-root3 * std::sqrt(squared));
              value = v * (1.0 + root3 * std::sqrt(squared)) * e;
              slope = -1.5 * v * e;
              break;
            }
            case KernelType::matern52: {
              const double r = root5 * std::sqrt(squared);
              const double e = std::exp(-r);
              value = v * (1.0 + r + r * r / 3.0) * e;
              slope = -(5.0 / 6.0) * v * (1.0 + r) * e;
              break;
            }
            case KernelType::rational_quadratic: {
              const double u = 1.0 + squared / (2.0 * alpha);
              value = v * std::pow(u, -alpha);
              slope = -0.5 * value / u;
              shape += 2.0 * ws[i * n + j] * value * (squared / (2.0 * u) - alpha * std::log(u));  // dK/dlog alpha
              break;
            }
            default: throw std::logic_error("kernel: unhandled type");
          }
          const double weight = 2.0 * ws[i * n + j];  // the pair (i, j) and (j, i)
          variance += weight * value;
          for (int64_t k = 0; k < d; ++k) lengths[k] += -2.0 * weight * slope * squares[k];
        }
      }
      derivatives[0] = at::full({1}, variance, float64());
      auto length_tensor = at::tensor(lengths, float64());
      derivatives[1] = p[1].numel() == 1 ? length_tensor.sum().reshape({1}) : length_tensor;
      if (type_ == KernelType::rational_quadratic) derivatives[2] = at::full({1}, shape, float64());
      break;
    }
  }
  for (size_t i = 0; i < parameters_.size(); ++i) {
    if (parameters_[i].fixed) continue;
    const auto values = derivatives[i].contiguous();
    out.insert(out.end(), values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
  }
}

at::Tensor Kernel::gram_gradient_contraction(const at::Tensor& x_in, const at::Tensor& w) const {
  const auto x = checked_inputs(x_in, "x");
  if (w.dim() != 2 || w.size(0) != x.size(0) || w.size(1) != x.size(0)) throw std::invalid_argument("kernel: W must be [n, n]");
  std::vector<double> out;
  contract(x, w.to(at::kDouble).contiguous(), out);
  return at::tensor(out, float64()).reshape({static_cast<int64_t>(out.size())});
}

}  // namespace credence::classical
