#include "stats.hpp"

#include <cmath>
#include <cstdio>

#include <boost/json/serialize.hpp>

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

namespace {

void append_json(std::string& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : value.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::value(member.key()));
        out += ':';
        append_json(out, member.value());
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, element);
      }
      out += ']';
      return;
    }
    case boost::json::kind::double_: {
      const double number = value.get_double();
      if (!std::isfinite(number)) {
        out += "null";
        return;
      }
      char text[64];
      std::snprintf(text, sizeof text, "%.3f", number);
      std::string digits(text);
      while (digits.back() == '0') digits.pop_back();
      if (digits.back() == '.') digits.pop_back();
      out += digits;
      return;
    }
    default:
      out += boost::json::serialize(value);
      return;
  }
}

}  // namespace

std::string to_json_line(const boost::json::value& value) {
  std::string out;
  append_json(out, value);
  return out;
}

}  // namespace herd::bench
