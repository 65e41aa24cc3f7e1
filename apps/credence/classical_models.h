// The classical models (credence/classical) as seen by predict, evaluate and inspect.
#pragma once

#include "credence/data/csv_table.h"
#include "credence/io/archive.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::cli {

// True when an archive's "kind" names a classical model (blr, ard, kmeans, gmm, vgmm, pca, ppca).
bool is_classical_kind(const std::string& kind);

struct PredictionTable {
  std::vector<std::string> columns;
  at::Tensor values;  // [rows, columns]
};

// `credence predict` for a classical model: the rows of `table` (feature columns by name).
PredictionTable classical_predict(const io::Archive& archive, const data::CsvTable& table, double level);

// `credence evaluate` for a classical model: a flat JSON object serialised as text,
// whose keys are printed as a table or, with --json, as is.
std::string classical_evaluate(const io::Archive& archive, const data::CsvTable& table, double level);

}  // namespace credence::cli
