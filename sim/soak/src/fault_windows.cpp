#include "herd/sim/soak/fault_windows.hpp"

#include <algorithm>
#include <limits>

namespace herd::sim::soak {

namespace {

bool names(const FaultWindow& w, std::string_view server) {
  return std::find(w.involved.begin(), w.involved.end(), server) != w.involved.end();
}

// [a0, a1] and [b0, b1] share a point.
bool overlap(double a0, double a1, double b0, double b1) { return a0 <= b1 && b0 <= a1; }

}  // namespace

std::vector<FaultWindow> fault_windows(const std::vector<FaultSpec>& faults) {
  std::vector<FaultWindow> out;
  for (const FaultSpec& f : faults) {
    FaultWindow w;
    w.kind = f.kind;
    w.from_s = static_cast<double>(f.at_ns) / 1e9;
    w.to_s = f.duration_ns > 0 ? w.from_s + static_cast<double>(f.duration_ns) / 1e9
                               : std::numeric_limits<double>::infinity();
    auto add = [&](const std::vector<std::string>& list) {
      for (const auto& s : list) {
        if (!names(w, s)) w.involved.push_back(s);
      }
    };
    switch (f.kind) {
      case FaultSpec::Kind::crash:
      case FaultSpec::Kind::pause:
        add(f.servers);
        w.stops_servers = true;
        break;
      case FaultSpec::Kind::partition:
        for (const auto& group : f.groups) add(group);
        break;
      case FaultSpec::Kind::one_way:
      case FaultSpec::Kind::clog:
      case FaultSpec::Kind::latency:
        add(f.from);
        add(f.to);
        break;
      case FaultSpec::Kind::clock:
        add(f.servers);
        break;
    }
    out.push_back(std::move(w));
  }
  return out;
}

bool explains_link_churn(const std::vector<FaultWindow>& windows, std::string_view owner,
                         std::string_view peer, double t_s, double grace_s) {
  return std::any_of(windows.begin(), windows.end(), [&](const FaultWindow& w) {
    return (names(w, owner) || names(w, peer)) && t_s >= w.from_s - grace_s &&
           t_s <= w.to_s + grace_s;
  });
}

bool explains_client_failure(const std::vector<FaultWindow>& windows, std::string_view server,
                             double due_s, double at_s, double grace_s) {
  return std::any_of(windows.begin(), windows.end(), [&](const FaultWindow& w) {
    return w.stops_servers && names(w, server) &&
           overlap(due_s - grace_s, at_s + grace_s, w.from_s, w.to_s);
  });
}

}  // namespace herd::sim::soak
