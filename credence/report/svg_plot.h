// SvgPlot: a small x-y chart (bands, lines, points) written as a standalone SVG file.
#pragma once

#include <string>
#include <vector>

namespace credence::report {

class SvgPlot {
 public:
  SvgPlot(std::string title, std::string x_label, std::string y_label);

  // Filled band between lower and upper over x (x ascending).
  void add_band(const std::vector<double>& x, const std::vector<double>& lower, const std::vector<double>& upper,
                const std::string& colour, double opacity, const std::string& label);
  void add_line(const std::vector<double>& x, const std::vector<double>& y, const std::string& colour,
                const std::string& label);
  void add_points(const std::vector<double>& x, const std::vector<double>& y, const std::string& colour,
                  const std::string& label);

  // A fixed y range (otherwise the range of every series): what falls outside is clipped at the
  // plot's edge, so that one band that explodes cannot flatten everything else.
  void set_y_range(double lower, double upper);
  // True when a series has a value outside the fixed y range.
  bool clipped() const;

  std::string render(int width = 900, int height = 540) const;
  // Written to a temporary name, then renamed.
  void save(const std::string& path) const;

 private:
  enum class Kind { band, line, points };
  struct Series {
    Kind kind;
    std::vector<double> x, y, y2;
    std::string colour, label;
    double opacity;
  };
  std::string title_, x_label_, y_label_;
  bool fixed_y_range_ = false;
  double y_lower_ = 0.0, y_upper_ = 1.0;
  std::vector<Series> series_;
};

}  // namespace credence::report
