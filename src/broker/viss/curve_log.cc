#include "broker/viss/curve_log.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace pharos::broker::viss {

std::vector<size_t> CurveLog(const std::vector<CurvePoint>& points, double maxerr) {
  const size_t n = points.size();
  if (n <= 2) {
    std::vector<size_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = i;
    return all;
  }
  std::vector<bool> keep(n, false);
  keep[0] = keep[n - 1] = true;
  std::vector<std::pair<size_t, size_t>> spans{{0, n - 1}};
  while (!spans.empty()) {
    auto [first, last] = spans.back();
    spans.pop_back();
    if (last - first < 2) continue;
    const CurvePoint& a = points[first];
    const CurvePoint& b = points[last];
    double dt = b.t - a.t;
    double worst = -1;
    size_t at = first;
    for (size_t i = first + 1; i < last; ++i) {
      // The line's value at the sample's time (equal times: the mean).
      double line = dt == 0 ? (a.v + b.v) / 2 : a.v + (b.v - a.v) * (points[i].t - a.t) / dt;
      double error = std::fabs(points[i].v - line);
      if (error > worst) {
        worst = error;
        at = i;
      }
    }
    if (worst > maxerr) {
      keep[at] = true;
      spans.push_back({first, at});
      spans.push_back({at, last});
    }
  }
  std::vector<size_t> out;
  for (size_t i = 0; i < n; ++i) {
    if (keep[i]) out.push_back(i);
  }
  return out;
}

}  // namespace pharos::broker::viss
