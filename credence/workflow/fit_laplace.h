// Laplace in the fit workflows: train one deterministic network as the members loop does, then fit
// the Laplace posterior (inference/laplace_approximation.h) on the same training rows; or fit it
// post hoc on a model file's deterministic network (`credence laplace`).
#pragma once

#include "credence/inference/laplace_approximation.h"
#include "credence/io/classification_model.h"
#include "credence/io/regression_model.h"
#include "credence/workflow/fit_classification.h"
#include "credence/workflow/fit_regression.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::workflow {

// Throws std::invalid_argument (prefixed by `what`, e.g. the model's path) unless the model is one
// deterministic network without a posterior of its own.
void check_laplace_base(const std::string& what, const std::string& method, size_t members);

// Fits the posterior on raw rows (scaled as the model scales them) and marks the model "laplace".
void add_laplace(io::RegressionModel& model, const at::Tensor& raw_inputs, const at::Tensor& raw_targets,
                 const inference::LaplaceOptions& options);
void add_laplace(io::ClassificationModel& model, const at::Tensor& raw_inputs, const at::Tensor& labels,
                 const inference::LaplaceOptions& options);

// fit_regression / fit_classification for posterior "laplace": one deterministic network trained
// on the training rows (the validation rows, if any, left out as there), then Laplace on them.
RegressionFit fit_laplace_regression(const at::Tensor& inputs, const at::Tensor& targets,
                                     const std::vector<std::string>& feature_names, const std::string& target_name,
                                     const RegressionFitOptions& options);
ClassificationFit fit_laplace_classification(const at::Tensor& inputs, const at::Tensor& labels, const io::InputLayout& layout,
                                             const std::vector<std::string>& class_names, const std::string& target_name,
                                             const ClassificationFitOptions& options);

}  // namespace credence::workflow
