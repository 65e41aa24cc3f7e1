// The prediction's progress bar (on a terminal, for long runs) and its summary line.
#include "credence/workflow/prediction_progress.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace credence;

TEST(PredictionProgress, TheSummaryLineSaysRowsSamplesTimeAndWhere) {
  EXPECT_EQ(workflow::prediction_summary(10000, 100, 1.26, "out.csv"), "predicted 10000 rows, 100 samples each, in 1.3 s: out.csv");
  EXPECT_EQ(workflow::prediction_summary(1, 1, 0.0, "-"), "predicted 1 row, 1 sample each, in 0.0 s: standard output");
  // Not on a terminal: the summary line alone, whatever the chunks.
  std::ostringstream log;
  workflow::PredictionProgress quiet(log, false, 0.0);
  auto update = quiet.callback();
  update(5, 10);
  update(10, 10);
  quiet.finish(10, 3, "p.csv");
  EXPECT_EQ(log.str().rfind("predicted 10 rows, 3 samples each, in ", 0), 0u) << log.str();
  EXPECT_EQ(log.str().find('\r'), std::string::npos);
  EXPECT_EQ(log.str().back(), '\n');
}

TEST(PredictionProgress, OnATerminalABarIsRedrawnAndClearedBeforeTheSummary) {
  std::ostringstream terminal;
  workflow::PredictionProgress progress(terminal, true, 0.0);
  progress.callback()(10, 10);
  EXPECT_EQ(terminal.str().rfind("\rpredicting [==============================] 10/10 rows 100%", 0), 0u) << terminal.str();
  progress.finish(10, 3, "p.csv");
  const auto text = terminal.str();
  const auto summary = text.rfind("\rpredicted 10 rows");
  ASSERT_NE(summary, std::string::npos) << text;
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  // A short run draws no bar at all.
  std::ostringstream short_run;
  workflow::PredictionProgress quick(short_run, true, 60.0);
  quick.callback()(10, 10);
  quick.finish(10, 3, "p.csv");
  EXPECT_EQ(short_run.str().find('\r'), std::string::npos);
}
