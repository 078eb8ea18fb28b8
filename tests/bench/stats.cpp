#include "stats.hpp"

#include <cmath>
#include <cstdio>

#include "herd/sim/load/report.hpp"

namespace herd::bench {

double LatencySamples::quantile_us(double q) const {
  return static_cast<double>(histogram_.quantile(q)) / 1e3;
}

boost::json::object LatencySamples::summary_us() const {
  boost::json::object out;
  out["count"] = histogram_.count();
  if (histogram_.count() == 0) return out;
  auto round1 = [](double us) { return std::round(us * 10) / 10; };
  out["p50"] = round1(quantile_us(0.50));
  out["p90"] = round1(quantile_us(0.90));
  out["p99"] = round1(quantile_us(0.99));
  out["max"] = round1(quantile_us(1.0));
  out["mean"] = round1(histogram_.mean() / 1e3);
  return out;
}

std::string to_json_line(const boost::json::value& value) { return sim::load::json_text(value); }

}  // namespace herd::bench
