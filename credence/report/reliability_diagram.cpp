// Drawing a reliability diagram with SvgPlot.
#include "credence/report/reliability_diagram.h"

namespace credence::report {

SvgPlot reliability_diagram(const metrics::Calibration& calibration, const std::string& title) {
  SvgPlot plot(title, "confidence (bin mean)", "accuracy");
  plot.add_line({0.0, 1.0}, {0.0, 1.0}, "#999999", "perfect calibration");
  std::vector<double> confidence, accuracy;
  for (const auto& bin : calibration.bins) {
    if (bin.count == 0) continue;
    confidence.push_back(bin.mean_confidence);
    accuracy.push_back(bin.accuracy);
  }
  plot.add_line(confidence, accuracy, "#1f77b4", "model");
  plot.add_points(confidence, accuracy, "#1f77b4", "bins");
  return plot;
}

}  // namespace credence::report
