// ForecastModel: a regression archive of kind "forecast_network" with the forecast's settings.
#include "credence/io/forecast_model.h"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace credence::io {

using nlohmann::json;

Archive to_archive(const ForecastModel& model) {
  auto archive = to_archive(model.regression);
  auto metadata = json::parse(archive.metadata_json);
  metadata["kind"] = kForecastNetworkKind;
  const auto& s = model.settings;
  metadata["forecast"] = {{"series", s.series},
                          {"time_column", s.time_column},
                          {"missing", data::to_string(s.missing)},
                          {"window", s.windows.window},
                          {"horizon", s.windows.horizon},
                          {"difference", s.windows.difference},
                          {"test_fraction", s.test_fraction},
                          {"season", s.season}};
  archive.metadata_json = metadata.dump();
  return archive;
}

ForecastModel forecast_model_from_archive(const Archive& archive) {
  json metadata;
  ForecastModel model;
  try {
    metadata = json::parse(archive.metadata_json);
    if (metadata.at("kind").get<std::string>() != kForecastNetworkKind) {
      throw ArchiveError(archive.path + ": not a forecasting network (kind '" + metadata.at("kind").get<std::string>() + "')");
    }
    const auto& f = metadata.at("forecast");
    auto& s = model.settings;
    s.series = f.at("series").get<std::string>();
    s.time_column = f.at("time_column").get<std::string>();
    s.missing = data::missing_values_from_string(f.at("missing").get<std::string>());
    s.windows.window = f.at("window").get<int64_t>();
    s.windows.horizon = f.at("horizon").get<int64_t>();
    s.windows.difference = f.at("difference").get<int64_t>();
    s.test_fraction = f.at("test_fraction").get<double>();
    s.season = f.at("season").get<int64_t>();
  } catch (const ArchiveError&) {
    throw;
  } catch (const std::exception& e) {
    throw ArchiveError(archive.path + ": model file is corrupted (forecast metadata: " + e.what() + ")");
  }
  // The network and its scalers, read as the regression archive they are.
  auto inner = archive;
  metadata["kind"] = kRegressionNetworkKind;
  inner.metadata_json = metadata.dump();
  model.regression = regression_model_from_archive(inner);
  const auto& w = model.settings.windows;
  if (w.window < 1 || w.horizon < 1 || (w.difference != 0 && w.difference != 1) ||
      model.regression.input_scaler.mean.numel() != w.window || model.regression.target_scaler.mean.numel() != w.horizon) {
    throw ArchiveError(archive.path + ": model file is corrupted (the window and horizon do not fit the network)");
  }
  return model;
}

void save_forecast_model(const std::string& path, const ForecastModel& model) { write_archive(path, to_archive(model)); }

ForecastModel load_forecast_model(const std::string& path) { return forecast_model_from_archive(read_archive(path)); }

}  // namespace credence::io
