// Storing and reading a Laplace posterior beside its MAP network.
#include "credence/io/laplace_archive.h"

#include "credence/nn/linear.h"

#include <stdexcept>
#include <string>

namespace credence::io {

using nlohmann::json;

void add_laplace_posterior(Archive& archive, json& metadata, const inference::LaplacePosterior& posterior) {
  metadata["laplace"] = {
      {"subset", inference::to_string(posterior.subset)},
      {"hessian", inference::to_string(posterior.hessian)},
      {"predictive", inference::to_string(posterior.predictive)},
      {"prior_precision", posterior.prior_precision},
      {"prior_precision_fitted", posterior.prior_precision_fitted},
      {"log_marginal_likelihood", posterior.log_marginal_likelihood},
      {"rows", posterior.rows},
      {"layers", posterior.layers},
      {"parameters", posterior.parameter_count},
  };
  if (posterior.covariance.defined()) archive.add("laplace.covariance", posterior.covariance);
  if (posterior.variance.defined()) archive.add("laplace.variance", posterior.variance);
  for (size_t l = 0; l < posterior.factors.size(); ++l) {
    const auto prefix = "laplace.layer" + std::to_string(l) + ".";
    const auto& f = posterior.factors[l];
    archive.add(prefix + "output_eigenvectors", f.output_eigenvectors);
    archive.add(prefix + "output_eigenvalues", f.output_eigenvalues);
    archive.add(prefix + "input_eigenvectors", f.input_eigenvectors);
    archive.add(prefix + "input_eigenvalues", f.input_eigenvalues);
  }
}

std::optional<inference::LaplacePosterior> read_laplace_posterior(const Archive& archive, const json& metadata,
                                                                  nn::Network& net) {
  const auto found = metadata.find("laplace");
  if (found == metadata.end()) return std::nullopt;
  auto corrupted = [&](const std::string& what) {
    return ArchiveError(archive.path + ": model file is corrupted (Laplace posterior: " + what + ")");
  };
  inference::LaplacePosterior posterior;
  try {
    const auto& l = *found;
    posterior.subset = inference::laplace_subset_from_string(l.at("subset").get<std::string>());
    posterior.hessian = inference::hessian_structure_from_string(l.at("hessian").get<std::string>());
    posterior.predictive = inference::laplace_predictive_from_string(l.at("predictive").get<std::string>());
    posterior.prior_precision = l.at("prior_precision").get<double>();
    posterior.prior_precision_fitted = l.at("prior_precision_fitted").get<bool>();
    posterior.log_marginal_likelihood = l.at("log_marginal_likelihood").get<double>();
    posterior.rows = l.at("rows").get<int64_t>();
    posterior.layers = l.at("layers").get<std::vector<int64_t>>();
    posterior.parameter_count = l.at("parameters").get<int64_t>();
  } catch (const json::exception& e) {
    throw corrupted(e.what());
  } catch (const std::invalid_argument& e) {
    throw corrupted(e.what());
  }
  if (!(posterior.prior_precision > 0.0)) throw corrupted("the prior precision is not positive");
  if (posterior.layers.empty()) throw corrupted("no layers");
  int64_t count = 0;
  std::vector<std::pair<int64_t, int64_t>> shapes;  // per layer (out, in + bias)
  for (auto index : posterior.layers) {
    nn::LinearImpl* layer = index >= 0 && index < static_cast<int64_t>(net->size())
                                ? dynamic_cast<nn::LinearImpl*>(&net->layer(static_cast<size_t>(index)))
                                : nullptr;
    if (!layer) throw corrupted("layer " + std::to_string(index) + " is not a dense layer of the network");
    shapes.emplace_back(layer->options.out_features(), layer->options.in_features() + (layer->bias.defined() ? 1 : 0));
    count += shapes.back().first * shapes.back().second;
  }
  if (count != posterior.parameter_count) throw corrupted("the parameter count does not match the layers");
  const int64_t p = count;
  auto expect_shape = [&](const at::Tensor& t, std::vector<int64_t> shape, const std::string& name) {
    if (t.sizes().vec() != shape) throw corrupted(name + " has the wrong shape");
    return t.to(at::kDouble);
  };
  switch (posterior.hessian) {
    case inference::HessianStructure::full:
      posterior.covariance = expect_shape(archive.get("laplace.covariance"), {p, p}, "the covariance");
      break;
    case inference::HessianStructure::diag:
      posterior.variance = expect_shape(archive.get("laplace.variance"), {p}, "the variance");
      break;
    case inference::HessianStructure::kfac:
      for (size_t l = 0; l < shapes.size(); ++l) {
        const auto prefix = "laplace.layer" + std::to_string(l) + ".";
        const auto [out, in] = shapes[l];
        inference::KroneckerFactors f;
        f.output_eigenvectors = expect_shape(archive.get(prefix + "output_eigenvectors"), {out, out}, prefix + "output_eigenvectors");
        f.output_eigenvalues = expect_shape(archive.get(prefix + "output_eigenvalues"), {out}, prefix + "output_eigenvalues");
        f.input_eigenvectors = expect_shape(archive.get(prefix + "input_eigenvectors"), {in, in}, prefix + "input_eigenvectors");
        f.input_eigenvalues = expect_shape(archive.get(prefix + "input_eigenvalues"), {in}, prefix + "input_eigenvalues");
        posterior.factors.push_back(f);
      }
      break;
  }
  return posterior;
}

}  // namespace credence::io
