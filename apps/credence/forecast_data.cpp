// Forecasting on the command line: reading the model's series, printing the scores.
#include "forecast_data.h"

#include "credence/data/csv_table.h"

#include <cmath>
#include <iomanip>

namespace credence::cli {

data::TimeSeries read_model_series(const std::string& path, const io::ForecastSettings& settings) {
  const auto table = data::read_csv(path);
  return data::read_time_series(table, settings.series, settings.time_column, settings.missing);
}

void print_forecast_scores(std::ostream& out, const std::vector<workflow::StepScores>& scores, double level) {
  const auto percent = static_cast<int>(std::lround(level * 100));
  out << "test period, per forecast step (" << percent << "% central intervals):\n"
      << "  step  origins      rmse  naive_last  naive_season  coverage     width  aleatoric_std  epistemic_std\n";
  workflow::StepScores mean;
  bool seasonal = true;
  for (const auto& s : scores) {
    out << "  " << std::setw(4) << s.step << "  " << std::setw(7) << s.count << std::fixed << std::setprecision(4) << "  "
        << std::setw(8) << s.rmse << "  " << std::setw(10) << s.naive_last_rmse << "  " << std::setw(12);
    if (std::isnan(s.naive_season_rmse)) {
      out << "-";
      seasonal = false;
    } else {
      out << s.naive_season_rmse;
    }
    out << "  " << std::setw(8) << s.coverage << "  " << std::setw(8) << s.width << "  " << std::setw(13) << s.aleatoric_std
        << "  " << std::setw(13) << s.epistemic_std << std::defaultfloat << "\n";
    mean.rmse += s.rmse / static_cast<double>(scores.size());
    mean.naive_last_rmse += s.naive_last_rmse / static_cast<double>(scores.size());
    mean.naive_season_rmse += (std::isnan(s.naive_season_rmse) ? 0.0 : s.naive_season_rmse) / static_cast<double>(scores.size());
    mean.coverage += s.coverage / static_cast<double>(scores.size());
    mean.width += s.width / static_cast<double>(scores.size());
  }
  out << std::fixed << std::setprecision(4) << "  mean over steps: rmse " << mean.rmse << ", naive_last " << mean.naive_last_rmse;
  if (seasonal) out << ", naive_season " << mean.naive_season_rmse;
  out << ", coverage " << mean.coverage << ", width " << mean.width << std::defaultfloat << "\n";
}

}  // namespace credence::cli
