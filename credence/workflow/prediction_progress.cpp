// The prediction progress bar and summary line.
#include "credence/workflow/prediction_progress.h"

#include <cstdio>

namespace credence::workflow {

namespace {

constexpr double kRedrawSeconds = 0.1;
constexpr int kBarWidth = 30;

}  // namespace

PredictionProgress::PredictionProgress(std::ostream& out, bool bar, double quiet_seconds)
    : out_(out), bar_(bar), quiet_seconds_(quiet_seconds), start_(std::chrono::steady_clock::now()) {}

double PredictionProgress::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

predict::ChunkProgress PredictionProgress::callback() {
  return [this](int64_t done, int64_t total) { update(done, total); };
}

void PredictionProgress::update(int64_t done, int64_t total) {
  if (!bar_ || total <= 0) return;
  const double now = elapsed();
  if (now < quiet_seconds_ || (drawn_ && now - last_draw_ < kRedrawSeconds && done < total)) return;
  const double fraction = static_cast<double>(done) / static_cast<double>(total);
  const int filled = static_cast<int>(fraction * kBarWidth);
  char timing[64];
  std::snprintf(timing, sizeof timing, "%3.0f%% %.1f s", 100.0 * fraction, now);
  out_ << "\rpredicting [" << std::string(filled, '=') << std::string(kBarWidth - filled, ' ') << "] " << done << "/"
       << total << " rows " << timing << std::flush;
  drawn_ = true;
  last_draw_ = now;
}

void PredictionProgress::finish(int64_t rows, int64_t samples, const std::string& destination) {
  // Spaces over the bar's last drawing, then the summary on its line.
  if (drawn_) out_ << "\r" << std::string(kBarWidth + 60, ' ') << "\r";
  out_ << prediction_summary(rows, samples, elapsed(), destination) << "\n" << std::flush;
}

std::string prediction_summary(int64_t rows, int64_t samples, double seconds, const std::string& destination) {
  char timing[32];
  std::snprintf(timing, sizeof timing, "%.1f s", seconds);
  return "predicted " + std::to_string(rows) + (rows == 1 ? " row, " : " rows, ") + std::to_string(samples) +
         (samples == 1 ? " sample each, in " : " samples each, in ") + timing + ": " +
         (destination == "-" ? std::string("standard output") : destination);
}

}  // namespace credence::workflow
