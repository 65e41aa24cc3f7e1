// Sampled posteriors over a deterministic network's weights: HMC/NUTS, cyclical SGLD and SGHMC, and
// SVGD. The samples (or particles) become the members of the model, whose prediction is their
// mixture; model.posterior names the method.
#pragma once

#include "credence/workflow/fit_classification.h"
#include "credence/workflow/fit_regression.h"

#include <string>

namespace credence::workflow {

// hmc, sgld, psgld, sghmc, psghmc, svgd, swag.
bool is_sampled_posterior(const std::string& method);

// fit_regression for options.posterior() a sampled posterior: standardises as fit_regression does,
// samples on the training rows (the validation fraction is held out and unused) and stores the
// thinned samples as members.
RegressionFit fit_sampled_regression(const at::Tensor& inputs, const at::Tensor& targets,
                                     const std::vector<std::string>& feature_names, const std::string& target_name,
                                     const RegressionFitOptions& options);

ClassificationFit fit_sampled_classification(const at::Tensor& inputs, const at::Tensor& labels, const io::InputLayout& layout,
                                             const std::vector<std::string>& class_names, const std::string& target_name,
                                             const ClassificationFitOptions& options);

}  // namespace credence::workflow
