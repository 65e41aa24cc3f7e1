// What a prediction says while it runs and when it is done: a bar over the rows, redrawn in place
// on a terminal once the run has taken a while, and always one summary line at the end, e.g.
// "predicted 10000 rows, 100 samples each, in 1.3 s: out.csv".
#pragma once

#include "credence/predict/output_samples.h"

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace credence::workflow {

class PredictionProgress {
 public:
  // Timing starts here. `bar`: draw the bar (standard error is a terminal); otherwise only the
  // summary. The bar appears once the run has taken `quiet_seconds`, so that short runs print their
  // summary line alone.
  PredictionProgress(std::ostream& out, bool bar, double quiet_seconds = 0.5);

  // For PredictOptions::progress: rows done out of all, after each chunk.
  predict::ChunkProgress callback();

  // Clears the bar and writes the summary line; `destination` is the output file ("-": standard output).
  void finish(int64_t rows, int64_t samples, const std::string& destination);

 private:
  void update(int64_t done, int64_t total);
  double elapsed() const;

  std::ostream& out_;
  bool bar_;
  double quiet_seconds_;
  bool drawn_ = false;
  double last_draw_ = 0.0;
  std::chrono::steady_clock::time_point start_;
};

// The summary line without its newline (for tests and for embedders that print their own).
std::string prediction_summary(int64_t rows, int64_t samples, double seconds, const std::string& destination);

}  // namespace credence::workflow
