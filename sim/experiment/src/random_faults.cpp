#include "herd/sim/random_faults.hpp"

#include <algorithm>
#include <stdexcept>

namespace herd::sim {
namespace {

struct Interval {
  Nanoseconds start, end;
};

// Count of down-intervals overlapping [start, end).
std::size_t overlapping(const std::vector<Interval>& down, Nanoseconds start, Nanoseconds end) {
  std::size_t n = 0;
  for (const auto& i : down) n += (i.start < end && start < i.end) ? 1 : 0;
  return n;
}

}  // namespace

std::vector<FaultSpec> draw_random_faults(const RandomFaultSpec& spec, const HerdLayout& layout,
                                          const WorkloadSpec& workload, Nanoseconds duration_ns,
                                          Prng& rng) {
  std::vector<FaultSpec> faults;
  if (!spec.enabled || layout.size() == 0) return faults;
  Nanoseconds window_end = spec.end_ns > 0 ? spec.end_ns
                                           : (workload.end_ns > 0 ? workload.end_ns : duration_ns);
  window_end = std::min(window_end, duration_ns);
  if (window_end <= spec.start_ns) {
    throw std::invalid_argument("faults.random: the window [start, end) is empty");
  }
  const Nanoseconds window = window_end - spec.start_ns;
  const Nanoseconds max_len = spec.max_duration_ns > 0 ? spec.max_duration_ns
                                                       : std::max<Nanoseconds>(1'000'000, window / 10);
  auto draw_interval = [&]() {
    Nanoseconds length = 1'000'000 + static_cast<Nanoseconds>(rng.uniform_u64(
                                         static_cast<std::uint64_t>(std::max<Nanoseconds>(1, max_len - 1'000'000))));
    Nanoseconds start = spec.start_ns + static_cast<Nanoseconds>(rng.uniform_u64(
                                            static_cast<std::uint64_t>(window)));
    return Interval{start, start + length};
  };

  std::vector<Interval> down;  // crashes and pauses, for the max_down budget
  auto place_down = [&](Interval i) {
    const auto budget = static_cast<std::size_t>(std::max<std::int64_t>(1, spec.max_down));
    // Slide later past the intervals in the way; a bounded number of tries.
    for (int attempt = 0; attempt < 1000 && overlapping(down, i.start, i.end) >= budget;
         ++attempt) {
      Nanoseconds next_end = window_end + max_len;
      for (const auto& d : down) {
        if (d.start < i.end && i.start < d.end) next_end = std::min(next_end, d.end);
      }
      Nanoseconds length = i.end - i.start;
      i = Interval{next_end, next_end + length};
    }
    down.push_back(i);
    return i;
  };

  auto random_server = [&]() {
    return layout.names[rng.uniform_u64(layout.size())];
  };
  // Crashes and pauses both take one random server down for a drawn interval; the order
  // of draws (crashes, then pauses) is part of every seed's schedule.
  auto add_down_faults = [&](std::int64_t count, FaultSpec::Kind kind) {
    for (std::int64_t n = 0; n < count; ++n) {
      Interval i = place_down(draw_interval());
      FaultSpec f;
      f.kind = kind;
      f.at_ns = i.start;
      f.duration_ns = i.end - i.start;
      f.servers = {random_server()};
      f.amnesia = spec.amnesia;  // read by crashes only
      f.origin = "random";
      faults.push_back(std::move(f));
    }
  };
  add_down_faults(spec.crashes, FaultSpec::Kind::crash);
  add_down_faults(spec.pauses, FaultSpec::Kind::pause);
  for (std::int64_t n = 0; n < spec.partitions; ++n) {
    Interval i = draw_interval();
    // A random cut: each server joins side A or B; both sides non-empty when n > 1.
    std::vector<std::string> a, b;
    for (const auto& name : layout.names) (rng.chance(0.5) ? a : b).push_back(name);
    if (a.empty() && !b.empty()) {
      a.push_back(b.back());
      b.pop_back();
    } else if (b.empty() && a.size() > 1) {
      b.push_back(a.back());
      a.pop_back();
    }
    FaultSpec f;
    f.kind = FaultSpec::Kind::partition;
    f.at_ns = i.start;
    f.duration_ns = i.end - i.start;
    f.groups = {a, b};
    f.origin = "random";
    faults.push_back(std::move(f));
  }
  std::stable_sort(faults.begin(), faults.end(),
                   [](const FaultSpec& x, const FaultSpec& y) { return x.at_ns < y.at_ns; });
  return faults;
}

}  // namespace herd::sim
