// VISS v2's curve logging (core text, "Curve logging Filter Operation"):
// of a full buffer of samples, keep only the points needed so that the
// straight lines between kept points pass within `maxerr` of every sample
// left out (measured along the value axis, at the sample's time). The
// first and last samples are always kept. This is the Ramer–Douglas–
// Peucker simplification with the vertical error, as COVESA's reference
// server (VISSR) applies it; iterative, so a buffer of any size cannot
// exhaust the stack.
#pragma once

#include <cstddef>
#include <vector>

namespace pharos::broker::viss {

struct CurvePoint {
  double t;  // time, in any unit, increasing
  double v;  // value
};

// Indices of the kept points, ascending.
std::vector<size_t> CurveLog(const std::vector<CurvePoint>& points, double maxerr);

}  // namespace pharos::broker::viss
