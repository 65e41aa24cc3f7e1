// `credence predict` and `credence evaluate` for the classical models (credence/classical in a
// model file): the output columns and the figures of every classical kind, from a CSV file.
#pragma once

#include "credence/io/archive.h"
#include "credence/predict/output_samples.h"

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace credence::workflow {

struct ClassicalPredictionOptions {
  double level = 0.95;      // regressions: the central interval [lower, upper]
  int64_t samples = 100;    // logistic: Monte Carlo draws from the Laplace posterior
  std::uint64_t seed = 0;   // logistic: the seed of those draws
  // logistic: bound (bytes) on the draws' working memory; rows are taken in chunks under one set of
  // parameter draws, so the numbers do not depend on it.
  int64_t memory_budget = predict::kDefaultMemoryBudget;
};

struct ClassicalPredictionTable {
  std::vector<std::string> columns;
  at::Tensor values;  // [rows, numeric columns], float64
  // When not empty, the first column holds these cells (a classifier's class names) and
  // `columns` names it first; `values` holds the other columns.
  std::vector<std::string> leading_text;
};

// Reads `data_path` (the model's feature columns by name; a logistic model's class column and an
// HMM's sequence column as text) and predicts every row. Throws naming the file and column for
// missing columns, std::invalid_argument for a bad --level.
ClassicalPredictionTable classical_predict(const io::Archive& archive, const std::string& data_path,
                                           const ClassicalPredictionOptions& options = {});

// The evaluation figures of labelled rows, as a flat JSON object serialised to text.
std::string classical_evaluate(const io::Archive& archive, const std::string& data_path,
                               const ClassicalPredictionOptions& options = {});

}  // namespace credence::workflow
