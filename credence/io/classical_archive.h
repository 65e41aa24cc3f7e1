// The classical models (credence/classical) in the credence model file: one archive kind per
// model (blr, ard, kmeans, gmm, vgmm, pca, ppca, gp, sparse_gp, logistic, hmm) with its
// parameters as named tensors.
#pragma once

#include "credence/classical/ard_regression.h"
#include "credence/classical/basis.h"
#include "credence/classical/bayesian_linear_regression.h"
#include "credence/classical/gaussian_mixture.h"
#include "credence/classical/gaussian_process.h"
#include "credence/classical/hidden_markov_model.h"
#include "credence/classical/kmeans.h"
#include "credence/classical/logistic_regression.h"
#include "credence/classical/pca.h"
#include "credence/classical/probabilistic_pca.h"
#include "credence/classical/sparse_gaussian_process.h"
#include "credence/classical/variational_mixture.h"
#include "credence/io/archive.h"

#include <string>
#include <vector>

namespace credence::io {

// True for the archive kinds written by to_archive(ClassicalModel).
bool is_classical_kind(const std::string& kind);

// One fitted classical model with what is needed to apply it to a table: the member named by
// `kind` is set, the others stay empty.
struct ClassicalModel {
  std::string kind;
  std::vector<std::string> features;  // input columns, in order
  std::string target;                 // blr, ard, gp, sparse_gp; logistic: the class column
  std::string settings_json = "{}";   // a JSON object: the options of the fit, kept under "settings"
  classical::Basis basis;             // blr, ard
  classical::BayesianLinearRegression blr;
  classical::ArdRegression ard;
  classical::KMeans kmeans;
  classical::GaussianMixture gmm;
  classical::VariationalGaussianMixture vgmm;
  classical::PCA pca;
  classical::ProbabilisticPCA ppca;
  classical::GaussianProcessRegression gp;
  classical::SparseGaussianProcessRegression sparse_gp;
  classical::BayesianLogisticRegression logistic;
  std::vector<std::string> class_names;  // logistic: index -> the class column's value
  classical::LogisticPredictive predictive = classical::LogisticPredictive::probit;  // logistic
  classical::HiddenMarkovModel hmm;
  std::string sequence_column;  // hmm: the column of sequence ids (empty: one sequence)
};

Archive to_archive(const ClassicalModel& model);
// Throws ArchiveError naming archive.path when the kind is not classical or a tensor or
// metadata field is missing or inconsistent.
ClassicalModel classical_model_from_archive(const Archive& archive);

}  // namespace credence::io
