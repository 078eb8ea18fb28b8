#include "stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <boost/json/serialize.hpp>

namespace herd::bench {

void LatencySamples::add(std::int64_t ns) {
  ++seen_;
  if (seen_ % stride_ != 0) return;
  if (samples_ns_.size() >= max_samples_) {
    // Thin out: keep every other sample and double the stride from now on.
    std::size_t kept = 0;
    for (std::size_t i = 1; i < samples_ns_.size(); i += 2) samples_ns_[kept++] = samples_ns_[i];
    samples_ns_.resize(kept);
    stride_ *= 2;
  }
  samples_ns_.push_back(ns);
  sorted_ = false;
}

void LatencySamples::merge(const LatencySamples& other) {
  for (std::int64_t ns : other.samples_ns_) add(ns);
  seen_ += other.seen_ - other.samples_ns_.size();
}

void LatencySamples::sort_if_needed() const {
  if (sorted_ && sorted_ns_.size() == samples_ns_.size()) return;
  sorted_ns_ = samples_ns_;
  std::sort(sorted_ns_.begin(), sorted_ns_.end());
  sorted_ = true;
}

double LatencySamples::quantile_us(double q) const {
  if (samples_ns_.empty()) return 0;
  sort_if_needed();
  const auto n = static_cast<double>(sorted_ns_.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted_ns_.size());
  return static_cast<double>(sorted_ns_[rank - 1]) / 1e3;
}

boost::json::object LatencySamples::summary_us() const {
  boost::json::object out;
  out["count"] = samples_ns_.size();
  if (samples_ns_.empty()) return out;
  double sum = 0;
  for (std::int64_t ns : samples_ns_) sum += static_cast<double>(ns);
  auto round1 = [](double us) { return std::round(us * 10) / 10; };
  out["p50"] = round1(quantile_us(0.50));
  out["p90"] = round1(quantile_us(0.90));
  out["p99"] = round1(quantile_us(0.99));
  out["max"] = round1(quantile_us(1.0));
  out["mean"] = round1(sum / static_cast<double>(samples_ns_.size()) / 1e3);
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
