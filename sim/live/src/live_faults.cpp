// LiveRun's faults made real: SIGKILL and restart, SIGSTOP/SIGCONT, and cuts, clogs and
// latency changes applied through the link proxies (docs/live-backend.md).
#include "live_run.hpp"

namespace herd::sim::live_run {

// --- faults --------------------------------------------------------------------------------

bool LiveRun::blocked(std::uint32_t from, std::uint32_t to) const {
  for (std::size_t i : active_cuts_) {
    const FaultSpec& f = faults_[i];
    const auto& side = cut_sides_[i];
    if (f.kind == FaultSpec::Kind::partition) {
      if (side[from] >= 0 && side[to] >= 0 && side[from] != side[to]) return true;
    } else if (side[from] & 1 && side[to] & 2) {
      return true;
    }
  }
  return false;
}

void LiveRun::apply_cuts() {
  for (std::uint32_t i = 0; i < links_.size(); ++i) {
    proxies_[i]->set_cut(blocked(links_[i].from, links_[i].to));
  }
}

std::vector<std::uint32_t> LiveRun::links_between(const std::vector<std::string>& a,
                                                  const std::vector<std::string>& b) const {
  std::vector<bool> in_a(layout_.size(), false), in_b(layout_.size(), false);
  for (const auto& name : a) in_a[layout_.index_of(name)] = true;
  for (const auto& name : b) in_b[layout_.index_of(name)] = true;
  std::vector<std::uint32_t> result;
  for (std::uint32_t i = 0; i < links_.size(); ++i) {
    const Link& link = links_[i];
    if ((in_a[link.from] && in_b[link.to]) || (in_b[link.from] && in_a[link.to])) {
      result.push_back(i);
    }
  }
  return result;
}

void LiveRun::crash(std::uint32_t s, bool amnesia) {
  ServerSlot& slot = servers_[s];
  // Overlapping crashes: the restart is amnesia if any of them says so.
  slot.amnesia_due = slot.amnesia_due || amnesia;
  if (slot.crashes_active++ > 0) return;
  if (!slot.up && !slot.starting) return;
  // SIGKILL: no goodbye, no flush; what it held is gone with it.
  slot.process->signal(SIGKILL);
  (void)slot.process->wait(std::chrono::milliseconds(2000));
  janitor_->forget(slot.process->pid());
  slot.up = false;
  slot.starting = false;
  slot.paused = false;
  record(RunEvent::Kind::server_down, s);
}

void LiveRun::restart(std::uint32_t s) {
  ServerSlot& slot = servers_[s];
  if (slot.crashes_active > 0 && --slot.crashes_active > 0) return;
  if (slot.up || slot.starting) return;
  // A new process on the same ports. Every server keeps its records in a durable store of
  // its own, so a plain crash restarts with them; amnesia removes the file first.
  const bool amnesia = slot.amnesia_due;
  slot.amnesia_due = false;
  if (amnesia) forget_state(s);
  record(RunEvent::Kind::server_up, s, amnesia);
  spawn(s);
}

std::filesystem::path LiveRun::store_file(std::uint32_t s) const {
  return folder_ / "state" / (layout_.names[s] + ".db");
}

void LiveRun::forget_state(std::uint32_t s) {
  const std::filesystem::path file = store_file(s);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::path part = file;
    part += suffix;
    std::error_code ec;
    std::filesystem::remove(part, ec);
    if (ec) throw LiveRunError(part.string() + ": cannot remove for an amnesia crash: " + ec.message());
  }
}

void LiveRun::start_fault(std::size_t index) {
  const FaultSpec& f = faults_[index];
  using Kind = FaultSpec::Kind;
  switch (f.kind) {
    case Kind::crash:
      for (const auto& name : f.servers) crash(layout_.index_of(name), f.amnesia);
      break;
    case Kind::pause:
      for (const auto& name : f.servers) {
        ServerSlot& slot = servers_[layout_.index_of(name)];
        if (!slot.up || slot.paused) continue;
        slot.process->signal(SIGSTOP);
        slot.paused = true;
      }
      break;
    case Kind::partition:
    case Kind::one_way:
      active_cuts_.push_back(index);
      apply_cuts();
      break;
    case Kind::clog: {
      const auto until = f.duration_ns > 0 && f.duration_ns < 86'400LL * 1'000'000'000
                             ? SteadyClock::now() + std::chrono::nanoseconds(f.duration_ns)
                             : SteadyClock::time_point::max();
      for (auto link : links_between(f.from, f.to)) proxies_[link]->set_clog_until(until);
      break;
    }
    case Kind::latency:
      for (auto link : links_between(f.from, f.to)) proxies_[link]->set_latency(&f.latency);
      break;
    case Kind::clock:
      break;  // refused up front (live_unsupported)
  }
  if (f.duration_ns > 0 && f.kind != Kind::clock) {
    const Nanoseconds end = f.duration_ns > std::numeric_limits<Nanoseconds>::max() - f.at_ns
                                ? std::numeric_limits<Nanoseconds>::max()
                                : f.at_ns + f.duration_ns;
    at(end, [this, index] { end_fault(index); });
  }
}

void LiveRun::end_fault(std::size_t index) {
  const FaultSpec& f = faults_[index];
  using Kind = FaultSpec::Kind;
  switch (f.kind) {
    case Kind::crash:
      for (const auto& name : f.servers) restart(layout_.index_of(name));
      break;
    case Kind::pause:
      for (const auto& name : f.servers) {
        ServerSlot& slot = servers_[layout_.index_of(name)];
        if (!slot.paused) continue;
        slot.process->signal(SIGCONT);
        slot.paused = false;
      }
      break;
    case Kind::partition:
    case Kind::one_way:
      active_cuts_.erase(std::find(active_cuts_.begin(), active_cuts_.end(), index));
      apply_cuts();
      break;
    case Kind::clog:
      for (auto link : links_between(f.from, f.to)) proxies_[link]->set_clog_until(std::nullopt);
      break;
    case Kind::latency:
      for (auto link : links_between(f.from, f.to)) {
        proxies_[link]->set_latency(links_[link].base_latency);
      }
      break;
    case Kind::clock:
      break;
  }
  record(RunEvent::Kind::heal);
}

}  // namespace herd::sim::live_run
