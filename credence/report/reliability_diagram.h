// The reliability diagram: accuracy against mean confidence per confidence bin, beside the diagonal.
#pragma once

#include "credence/metrics/classification_metrics.h"
#include "credence/report/svg_plot.h"

#include <string>

namespace credence::report {

SvgPlot reliability_diagram(const metrics::Calibration& calibration, const std::string& title);

}  // namespace credence::report
