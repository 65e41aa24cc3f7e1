// UciDataset: the UCI regression benchmark folders with the fixed splits of Hernandez-Lobato
// & Adams (2015): data.txt, index_features.txt, index_target.txt, index_{train,test}_K.txt,
// n_splits.txt, n_hidden.txt, n_epochs.txt.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace credence::data {

struct UciSplit {
  at::Tensor train_rows;  // int64 row indices into data.txt
  at::Tensor test_rows;
};

struct UciDataset {
  std::string directory;
  at::Tensor values;  // [rows, columns] float64, data.txt
  std::vector<int64_t> feature_columns;
  int64_t target_column = 0;
  int64_t splits = 0;   // n_splits.txt
  int64_t hidden = 0;   // n_hidden.txt: units of the protocol's one-hidden-layer network
  int64_t epochs = 0;   // n_epochs.txt: the protocol's training epochs

  at::Tensor inputs() const;   // [rows, features] float32
  at::Tensor targets() const;  // [rows] float32

  // Reads index_train_K.txt and index_test_K.txt; throws naming the file and line for an
  // index out of range, and both files for a row that is in both.
  UciSplit split(int64_t k) const;
};

// Reads the folder; throws std::runtime_error naming the file (and line, column) when a file
// is missing or malformed, or an index is out of range.
UciDataset read_uci_dataset(const std::string& directory);

}  // namespace credence::data
