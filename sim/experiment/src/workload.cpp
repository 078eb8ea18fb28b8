#include "herd/sim/workload.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numbers>

#include "herd/core/codec.hpp"
#include "herd/sim/delay_sampler.hpp"

namespace herd::sim {
namespace {
constexpr double kMetresPerDegree = 111'320.0;
}

Workload::Workload(const WorkloadSpec& spec, std::uint32_t servers, std::uint64_t seed,
                   Nanoseconds epoch_ns, Nanoseconds duration_ns)
    : spec_(spec),
      servers_(servers),
      epoch_ns_(epoch_ns),
      end_ns_(spec.end_ns > 0 ? std::min(spec.end_ns, duration_ns) : duration_ns),
      rng_(seed) {
  auto count = static_cast<std::size_t>(std::max<std::int64_t>(0, spec.clients));
  clients_.resize(count);
  names_.reserve(count);
  int width = 1;
  for (std::size_t n = count > 0 ? count - 1 : 0; n >= 10; n /= 10) ++width;
  for (std::size_t i = 0; i < count; ++i) {
    std::string digits = std::to_string(i);
    names_.push_back("c" + std::string(static_cast<std::size_t>(width) - std::min<std::size_t>(digits.size(), width), '0') + digits);
    Client& c = clients_[i];
    c.lat = spec_.lat_min + rng_.uniform_double() * (spec_.lat_max - spec_.lat_min);
    c.lng = spec_.lng_min + rng_.uniform_double() * (spec_.lng_max - spec_.lng_min);
    c.home = servers_ ? static_cast<std::uint32_t>(rng_.uniform_u64(servers_)) : 0;
    pick_target(c);
  }
}

std::string Workload::format_timestamp(Nanoseconds posix_ns) {
  // Unsigned magnitude: negating INT64_MIN would overflow.
  std::uint64_t magnitude = posix_ns < 0 ? 0 - static_cast<std::uint64_t>(posix_ns)
                                         : static_cast<std::uint64_t>(posix_ns);
  std::uint64_t seconds = magnitude / core::kNanosPerSecond;
  std::uint64_t nanos = magnitude % core::kNanosPerSecond;
  char text[48];
  char* p = text;
  if (posix_ns < 0) *p++ = '-';
  p = std::to_chars(p, text + sizeof text, seconds).ptr;
  *p++ = '.';
  for (int i = 8; i >= 0; --i, nanos /= 10) p[i] = static_cast<char>('0' + nanos % 10);
  return std::string(text, p + 9);
}

namespace {

// "%+.6f": to_chars rounds exactly as printf does, without its locale and format parsing
// (this runs for every simulated IAMAT).
char* signed_fixed6(char* p, char* end, double value) {
  if (!std::signbit(value)) *p++ = '+';
  return std::to_chars(p, end, value, std::chars_format::fixed, 6).ptr;
}

}  // namespace

std::optional<Nanoseconds> Workload::next_after(Nanoseconds now_ns, double rate_per_s) {
  if (rate_per_s <= 0 || clients_.empty() || servers_ == 0) return std::nullopt;
  // A tiny rate draws gaps far beyond int64 nanoseconds (1e-300/s: about 1e309 ns, or
  // infinity): compare in double first, so a gap past the end stops the stream instead of
  // overflowing the conversion.
  const double drawn = exponential(rng_, 1e9 / rate_per_s);
  if (now_ns >= end_ns_ || !(drawn < static_cast<double>(end_ns_ - now_ns))) return std::nullopt;
  Nanoseconds next = now_ns + std::max<Nanoseconds>(1, static_cast<Nanoseconds>(drawn));
  if (next >= end_ns_) return std::nullopt;
  return next;
}

std::optional<Nanoseconds> Workload::first_iamat() {
  return next_after(spec_.start_ns, spec_.iamat_per_s);
}
std::optional<Nanoseconds> Workload::first_whatsat() {
  return next_after(spec_.start_ns, spec_.whatsat_per_s);
}
std::optional<Nanoseconds> Workload::next_iamat(Nanoseconds now_ns) {
  return next_after(now_ns, spec_.iamat_per_s);
}
std::optional<Nanoseconds> Workload::next_whatsat(Nanoseconds now_ns) {
  return next_after(now_ns, spec_.whatsat_per_s);
}

std::uint32_t Workload::pick_server(std::uint32_t client) {
  switch (spec_.attach) {
    case WorkloadSpec::Attach::sticky_random: return clients_[client].home;
    case WorkloadSpec::Attach::round_robin:
      return static_cast<std::uint32_t>(round_robin_++ % servers_);
    case WorkloadSpec::Attach::random: break;
  }
  return static_cast<std::uint32_t>(rng_.uniform_u64(servers_));
}

void Workload::pick_target(Client& c) {
  c.target_lat = spec_.lat_min + rng_.uniform_double() * (spec_.lat_max - spec_.lat_min);
  c.target_lng = spec_.lng_min + rng_.uniform_double() * (spec_.lng_max - spec_.lng_min);
}

// Random waypoint: walk toward the target at constant speed; on arrival pick a new one and
// keep walking with the time left. A bounded number of legs per call keeps a long gap with
// a tiny box from looping for ever.
void Workload::move(Client& c, Nanoseconds now_ns) {
  double budget_m = spec_.speed_mps * static_cast<double>(now_ns - c.at_ns) / 1e9;
  c.at_ns = now_ns;
  for (int leg = 0; leg < 64 && budget_m > 0; ++leg) {
    double cos_lat = std::cos(c.lat * std::numbers::pi / 180.0);
    double dy_m = (c.target_lat - c.lat) * kMetresPerDegree;
    double dx_m = (c.target_lng - c.lng) * kMetresPerDegree * cos_lat;
    double distance_m = std::hypot(dx_m, dy_m);
    if (distance_m <= budget_m) {
      c.lat = c.target_lat;
      c.lng = c.target_lng;
      budget_m -= distance_m;
      pick_target(c);
      continue;
    }
    double f = budget_m / distance_m;
    c.lat += (c.target_lat - c.lat) * f;
    c.lng += (c.target_lng - c.lng) * f;
    budget_m = 0;
  }
}

ClientCommand Workload::make_iamat(Nanoseconds now_ns) {
  auto client = static_cast<std::uint32_t>(rng_.uniform_u64(clients_.size()));
  Client& c = clients_[client];
  move(c, now_ns);
  if (!c.reported) {
    c.reported = true;
    reported_.push_back(client);
  }
  char coords[64];
  char* end = signed_fixed6(coords, coords + sizeof coords, std::clamp(c.lat, -90.0, 90.0));
  end = signed_fixed6(end, coords + sizeof coords, std::clamp(c.lng, -180.0, 180.0));
  ClientCommand command;
  command.kind = ClientCommand::Kind::iamat;
  command.server = pick_server(client);
  std::string time = format_timestamp(epoch_ns_ + now_ns);
  const std::string& name = names_[client];
  command.line.reserve(6 + name.size() + 1 + static_cast<std::size_t>(end - coords) + 1 +
                       time.size() + 1);
  command.line.append("IAMAT ").append(name).append(" ");
  command.line.append(coords, end).append(" ").append(time);
  return command;
}

std::optional<ClientCommand> Workload::make_whatsat(Nanoseconds /*now_ns*/) {
  if (reported_.empty()) return std::nullopt;
  std::uint32_t client = reported_[rng_.uniform_u64(reported_.size())];
  // Fixed notation without trailing zeros: "%g" would write 1e-05, which is not a radius.
  char radius[64];
  std::snprintf(radius, sizeof radius, "%.6f", spec_.whatsat_radius_km);
  std::string radius_text = radius;
  radius_text.erase(radius_text.find_last_not_of('0') + 1);
  if (radius_text.back() == '.') radius_text.pop_back();
  std::string tail = " " + radius_text + " " + std::to_string(spec_.whatsat_bound);
  ClientCommand command;
  command.kind = ClientCommand::Kind::whatsat;
  command.server = pick_server(client);
  command.line = "WHATSAT " + names_[client] + tail;
  return command;
}

}  // namespace herd::sim
