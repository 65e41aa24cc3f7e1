// Basis functions for linear regression.
#include "credence/classical/basis.h"

#include "credence/classical/column_scaling.h"

#include <stdexcept>
#include <vector>

namespace credence::classical {

BasisKind basis_kind_from_string(const std::string& name) {
  if (name == "identity") return BasisKind::identity;
  if (name == "polynomial") return BasisKind::polynomial;
  if (name == "rbf") return BasisKind::rbf;
  throw std::invalid_argument("--basis: expected identity, polynomial or rbf, got '" + name + "'");
}

std::string to_string(BasisKind kind) {
  switch (kind) {
    case BasisKind::identity: return "identity";
    case BasisKind::polynomial: return "polynomial";
    case BasisKind::rbf: return "rbf";
  }
  return "identity";
}

Basis Basis::identity() { return Basis{}; }

Basis Basis::polynomial(int64_t degree, bool include_bias) {
  if (degree < 0) throw std::invalid_argument("--degree: must be at least 0");
  Basis basis;
  basis.kind = BasisKind::polynomial;
  basis.degree = degree;
  basis.include_bias = include_bias;
  return basis;
}

Basis Basis::rbf(const at::Tensor& centres, double width, bool include_bias) {
  if (!centres.defined() || centres.dim() != 2 || centres.size(0) < 1) {
    throw std::invalid_argument("rbf basis: centres must be a non-empty [m, d] matrix");
  }
  if (!(width > 0)) throw std::invalid_argument("--width: must be positive");
  Basis basis;
  basis.kind = BasisKind::rbf;
  basis.centres = centres.to(at::kDouble).contiguous();
  basis.width = width;
  basis.include_bias = include_bias;
  return basis;
}

void Basis::standardise_inputs(const at::Tensor& x) {
  const auto scaling = ColumnScaling::fit(x);
  input_mean = scaling.mean;
  input_scale = scaling.scale;
}

int64_t Basis::output_features(int64_t input_features) const {
  int64_t p = 0;
  switch (kind) {
    case BasisKind::identity: p = input_features; break;
    case BasisKind::polynomial: p = input_features * degree; break;
    case BasisKind::rbf: p = centres.size(0); break;
  }
  return p + (include_bias ? 1 : 0);
}

at::Tensor Basis::expand(const at::Tensor& x_in) const {
  if (x_in.dim() != 2) throw std::invalid_argument("basis: expected a 2-D [rows, features] input");
  auto x = x_in.to(at::kDouble);
  if (input_mean.defined()) {
    if (input_mean.size(0) != x.size(1)) {
      throw std::invalid_argument("basis: expected " + std::to_string(input_mean.size(0)) + " input features, got " +
                                  std::to_string(x.size(1)));
    }
    x = (x - input_mean) / input_scale;
  }
  std::vector<at::Tensor> parts;
  if (include_bias) parts.push_back(at::ones({x.size(0), 1}, x.options()));
  switch (kind) {
    case BasisKind::identity: parts.push_back(x); break;
    case BasisKind::polynomial: {
      auto power = x;
      for (int64_t k = 1; k <= degree; ++k) {
        parts.push_back(power);
        if (k < degree) power = power * x;
      }
      break;
    }
    case BasisKind::rbf: {
      if (centres.size(1) != x.size(1)) {
        throw std::invalid_argument("rbf basis: centres have " + std::to_string(centres.size(1)) + " features, input has " +
                                    std::to_string(x.size(1)));
      }
      // Squared distances by differences, not the expanded |x|^2 - 2x.c + |c|^2, which cancels badly near a centre.
      auto squared = (x.unsqueeze(1) - centres.unsqueeze(0)).pow(2).sum(-1);
      parts.push_back(at::exp(-squared / (2.0 * width * width)));
      break;
    }
  }
  if (parts.empty()) return at::zeros({x.size(0), 0}, x.options());
  return at::cat(parts, 1).contiguous();
}

}  // namespace credence::classical
