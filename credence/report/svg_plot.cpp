// Rendering of SvgPlot: linear axes with rounded ticks, a legend, no dependencies.
#include "credence/report/svg_plot.h"

#include "credence/data/atomic_file.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace credence::report {

namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", v);
  return buffer;
}

// A tick step of 1, 2 or 5 times a power of ten giving about `count` ticks.
double tick_step(double span, int count) {
  const double raw = span / count;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * power >= raw) return m * power;
  }
  return 10.0 * power;
}

}  // namespace

SvgPlot::SvgPlot(std::string title, std::string x_label, std::string y_label)
    : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

void SvgPlot::add_band(const std::vector<double>& x, const std::vector<double>& lower, const std::vector<double>& upper,
                       const std::string& colour, double opacity, const std::string& label) {
  if (x.size() != lower.size() || x.size() != upper.size()) throw std::invalid_argument("SvgPlot: band lengths differ");
  series_.push_back({Kind::band, x, lower, upper, colour, label, opacity});
}

void SvgPlot::add_line(const std::vector<double>& x, const std::vector<double>& y, const std::string& colour,
                       const std::string& label) {
  if (x.size() != y.size()) throw std::invalid_argument("SvgPlot: line lengths differ");
  series_.push_back({Kind::line, x, y, {}, colour, label, 1.0});
}

void SvgPlot::add_points(const std::vector<double>& x, const std::vector<double>& y, const std::string& colour,
                         const std::string& label) {
  if (x.size() != y.size()) throw std::invalid_argument("SvgPlot: point lengths differ");
  series_.push_back({Kind::points, x, y, {}, colour, label, 0.6});
}

void SvgPlot::set_y_range(double lower, double upper) {
  if (!(std::isfinite(lower) && std::isfinite(upper) && lower < upper)) {
    throw std::invalid_argument("SvgPlot: the y range must be finite with lower < upper");
  }
  fixed_y_range_ = true;
  y_lower_ = lower;
  y_upper_ = upper;
}

bool SvgPlot::clipped() const {
  if (!fixed_y_range_) return false;
  auto outside = [&](const std::vector<double>& values) {
    return std::any_of(values.begin(), values.end(), [&](double v) { return !(v >= y_lower_ && v <= y_upper_); });
  };
  return std::any_of(series_.begin(), series_.end(), [&](const Series& s) { return outside(s.y) || outside(s.y2); });
}

std::string SvgPlot::render(int width, int height) const {
  double x_min = std::numeric_limits<double>::infinity(), x_max = -x_min, y_min = x_min, y_max = -x_min;
  for (const auto& s : series_) {
    for (double v : s.x) x_min = std::min(x_min, v), x_max = std::max(x_max, v);
    for (double v : s.y) y_min = std::min(y_min, v), y_max = std::max(y_max, v);
    for (double v : s.y2) y_min = std::min(y_min, v), y_max = std::max(y_max, v);
  }
  if (!std::isfinite(x_min)) x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  if (fixed_y_range_) y_min = y_lower_, y_max = y_upper_;
  if (x_max == x_min) x_max = x_min + 1;
  if (y_max == y_min) y_max = y_min + 1;
  const double y_pad = 0.05 * (y_max - y_min);
  y_min -= y_pad;
  y_max += y_pad;
  const double left = 70, right = width - 180.0, top = 40, bottom = height - 50.0;
  auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * (right - left); };
  // Values far outside a fixed range are held just beyond the clipped area, so the file stays sane.
  const double y_span = y_max - y_min;
  auto py = [&](double y) {
    y = std::isnan(y) ? y_min : std::clamp(y, y_min - y_span, y_max + y_span);
    return bottom - (y - y_min) / (y_max - y_min) * (bottom - top);
  };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg << "<text x=\"" << (left + right) / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">" << escape(title_)
      << "</text>\n";
  // Axes and ticks.
  const double x_step = tick_step(x_max - x_min, 8), y_step = tick_step(y_max - y_min, 6);
  for (double t = std::ceil(x_min / x_step) * x_step; t <= x_max + 1e-9; t += x_step) {
    svg << "<line x1=\"" << number(px(t)) << "\" y1=\"" << top << "\" x2=\"" << number(px(t)) << "\" y2=\"" << bottom
        << "\" stroke=\"#eee\"/><text x=\"" << number(px(t)) << "\" y=\"" << bottom + 16
        << "\" text-anchor=\"middle\">" << number(std::abs(t) < 1e-12 ? 0.0 : t) << "</text>\n";
  }
  for (double t = std::ceil(y_min / y_step) * y_step; t <= y_max + 1e-9; t += y_step) {
    svg << "<line x1=\"" << left << "\" y1=\"" << number(py(t)) << "\" x2=\"" << right << "\" y2=\"" << number(py(t))
        << "\" stroke=\"#eee\"/><text x=\"" << left - 6 << "\" y=\"" << number(py(t) + 4)
        << "\" text-anchor=\"end\">" << number(std::abs(t) < 1e-12 ? 0.0 : t) << "</text>\n";
  }
  svg << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left << "\" height=\"" << bottom - top
      << "\" fill=\"none\" stroke=\"#333\"/>\n";
  svg << "<text x=\"" << (left + right) / 2 << "\" y=\"" << height - 12 << "\" text-anchor=\"middle\">"
      << escape(x_label_) << "</text>\n";
  svg << "<text transform=\"translate(18," << (top + bottom) / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << escape(y_label_) << "</text>\n";
  // Series, clipped to the plotting area.
  svg << "<clipPath id=\"area\"><rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << right - left
      << "\" height=\"" << bottom - top << "\"/></clipPath>\n<g clip-path=\"url(#area)\">\n";
  for (const auto& s : series_) {
    if (s.kind == Kind::band) {
      svg << "<polygon fill=\"" << s.colour << "\" fill-opacity=\"" << s.opacity << "\" stroke=\"none\" points=\"";
      for (size_t i = 0; i < s.x.size(); ++i) svg << number(px(s.x[i])) << "," << number(py(s.y2[i])) << " ";
      for (size_t i = s.x.size(); i-- > 0;) svg << number(px(s.x[i])) << "," << number(py(s.y[i])) << " ";
      svg << "\"/>\n";
    } else if (s.kind == Kind::line) {
      svg << "<polyline fill=\"none\" stroke=\"" << s.colour << "\" stroke-width=\"2\" points=\"";
      for (size_t i = 0; i < s.x.size(); ++i) svg << number(px(s.x[i])) << "," << number(py(s.y[i])) << " ";
      svg << "\"/>\n";
    } else {
      for (size_t i = 0; i < s.x.size(); ++i) {
        svg << "<circle cx=\"" << number(px(s.x[i])) << "\" cy=\"" << number(py(s.y[i])) << "\" r=\"2\" fill=\""
            << s.colour << "\" fill-opacity=\"" << s.opacity << "\"/>\n";
      }
    }
  }
  svg << "</g>\n";
  // Legend.
  double ly = top + 10;
  for (const auto& s : series_) {
    const double lx = right + 15;
    if (s.kind == Kind::band) {
      svg << "<rect x=\"" << lx << "\" y=\"" << ly - 8 << "\" width=\"18\" height=\"10\" fill=\"" << s.colour
          << "\" fill-opacity=\"" << s.opacity << "\"/>";
    } else if (s.kind == Kind::line) {
      svg << "<line x1=\"" << lx << "\" y1=\"" << ly - 3 << "\" x2=\"" << lx + 18 << "\" y2=\"" << ly - 3
          << "\" stroke=\"" << s.colour << "\" stroke-width=\"2\"/>";
    } else {
      svg << "<circle cx=\"" << lx + 9 << "\" cy=\"" << ly - 3 << "\" r=\"3\" fill=\"" << s.colour << "\"/>";
    }
    svg << "<text x=\"" << lx + 24 << "\" y=\"" << ly << "\">" << escape(s.label) << "</text>\n";
    ly += 20;
  }
  svg << "</svg>\n";
  return svg.str();
}

void SvgPlot::save(const std::string& path) const { data::write_file_atomically(path, render()); }

}  // namespace credence::report
