// The simulation's links coming up and going down, and the faults that make them: crash,
// restart, pause and resume, partitions and cuts, clogs, latency and clock faults.
#include "herd/sim/simulation.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

namespace herd::sim {
namespace {

constexpr Nanoseconds kForever = std::numeric_limits<Nanoseconds>::max();

// The inputs waiting for a paused server, taken out of the map (empty if there are none).
template <class Backlogs>
typename Backlogs::mapped_type take_backlog(Backlogs& backlogs, std::uint32_t server) {
  typename Backlogs::mapped_type backlog;
  if (auto it = backlogs.find(server); it != backlogs.end()) {
    backlog = std::move(it->second);
    backlogs.erase(it);
  }
  return backlog;
}

}  // namespace

// --- links ---------------------------------------------------------------------------------

bool Simulation::should_be_up(std::uint32_t link) const {
  const std::uint32_t from = link_from(link);
  const std::uint32_t to = links_[link].to;
  return servers_[from].up && servers_[to].up && !blocked(from, to);
}

bool Simulation::blocked(std::uint32_t from, std::uint32_t to) const {
  for (std::size_t i : active_cuts_) {
    const FaultSpec& f = faults_[i];
    const auto& side = cut_sides_[i];
    if (f.kind == FaultSpec::Kind::partition) {
      // Servers named in no group (-1) are outside the partition and reach everyone.
      if (side[from] >= 0 && side[to] >= 0 && side[from] != side[to]) return true;
    } else if (side[from] & 1 && side[to] & 2) {  // one_way: bit 1 = from, bit 2 = to
      return true;
    }
  }
  return false;
}

void Simulation::reevaluate_link(std::uint32_t index) {
  Link& link = links_[index];
  bool should = should_be_up(index);
  if (link.up && !should) {
    bring_down(index);
  } else if (!link.up && should && !link.reconnect_pending) {
    link.reconnect_pending = true;
    queue_.push(now_ns_ + scenario_.network.reconnect_ns, EventKind::link_up, index);
  }
}

void Simulation::reevaluate_links() {
  for (std::uint32_t i = 0; i < links_.size(); ++i) reevaluate_link(i);
}

void Simulation::bring_up(std::uint32_t index) { bring_up(index, link_from(index)); }

void Simulation::bring_up(std::uint32_t index, std::uint32_t from) {
  Link& link = links_[index];
  link.up = true;
  link.conn = next_conn_++;
  link.floor_ns = now_ns_;
  link.greeting_sent = false;
  const std::uint32_t to = link.to;
  servers_[to].core->handle_conn_open(local_now(to), link.conn);
  drain(to);
  servers_[from].core->handle_peer_up(local_now(from),
                                      static_cast<core::PeerId>(index - out_begin_[from]));
  drain(from);
}

void Simulation::bring_down(std::uint32_t index) {
  Link& link = links_[index];
  link.up = false;
  const std::uint32_t to = link.to;
  const std::uint32_t from = link_from(index);
  if (servers_[from].up) {
    servers_[from].core->handle_peer_down(local_now(from), link_peer(index));
    drain(from);
  }
  if (servers_[to].up) {
    servers_[to].core->handle_conn_closed(local_now(to), links_[index].conn);
    drain(to);
  }
}

std::vector<std::uint32_t> Simulation::links_between(const std::vector<std::string>& a,
                                                     const std::vector<std::string>& b) const {
  std::vector<bool> in_a(layout_.size(), false), in_b(layout_.size(), false);
  for (const auto& name : a) in_a[layout_.index_of(name)] = true;
  for (const auto& name : b) in_b[layout_.index_of(name)] = true;
  std::vector<std::uint32_t> result;
  for (std::uint32_t from = 0; from < layout_.size(); ++from) {
    for (std::uint32_t i = out_begin_[from]; i < out_begin_[from + 1]; ++i) {
      const std::uint32_t to = links_[i].to;
      if ((in_a[from] && in_b[to]) || (in_b[from] && in_a[to])) result.push_back(i);
    }
  }
  return result;
}

// --- faults --------------------------------------------------------------------------------

void Simulation::start_fault(std::size_t index) {
  FaultSpec& f = faults_[index];
  fault_active_[index] = true;
  fingerprint_.add(0xfa017000ULL + index);
  using Kind = FaultSpec::Kind;
  switch (f.kind) {
    case Kind::crash:
      for (const auto& name : f.servers) crash(layout_.index_of(name));
      break;
    case Kind::pause:
      for (const auto& name : f.servers) servers_[layout_.index_of(name)].paused = true;
      break;
    case Kind::partition:
    case Kind::one_way:
      active_cuts_.push_back(index);
      reevaluate_links();
      break;
    case Kind::clog: {
      Nanoseconds until = f.duration_ns > 0 ? now_ns_ + f.duration_ns : kForever;
      for (auto link : links_between(f.from, f.to)) {
        clog_until_ns_[link] = std::max(clog_until_ns_[link], until);
      }
      break;
    }
    case Kind::latency:
      for (auto link : links_between(f.from, f.to)) latency_[link] = &f.latency;
      break;
    case Kind::clock:
      if (clocks_.empty()) clocks_.resize(layout_.size());
      for (const auto& name : f.servers) {
        ClockOffset& c = clocks_[layout_.index_of(name)];
        c.skew_ns = f.skew_ns;
        c.drift_ppm = f.drift_ppm;
        c.drift_from_ns = now_ns_;
      }
      break;
  }
  if (f.duration_ns > 0 && f.kind != Kind::clock) {
    queue_.push(now_ns_ + f.duration_ns, EventKind::fault_end, 0, index);
  }
}

void Simulation::end_fault(std::size_t index) {
  FaultSpec& f = faults_[index];
  fault_active_[index] = false;
  fingerprint_.add(0xfa01e000ULL + index);
  using Kind = FaultSpec::Kind;
  switch (f.kind) {
    case Kind::crash:
      for (const auto& name : f.servers) restart(layout_.index_of(name), f.amnesia);
      break;
    case Kind::pause:
      for (const auto& name : f.servers) resume(layout_.index_of(name));
      break;
    case Kind::partition:
    case Kind::one_way:
      active_cuts_.erase(std::find(active_cuts_.begin(), active_cuts_.end(), index));
      reevaluate_links();
      break;
    case Kind::clog:
      for (auto link : links_between(f.from, f.to)) clog_until_ns_[link] = 0;
      break;
    case Kind::latency:
      for (auto link : links_between(f.from, f.to)) latency_[link] = base_latency_[link];
      break;
    case Kind::clock:
      break;
  }
  metrics_.on_heal(now_ns_);
}

void Simulation::crash(std::uint32_t server) {
  SimServer& s = servers_[server];
  // Overlapping crash faults (one may start the instant another ends) keep the server down
  // until the last of them ends.
  if (s.crashes_active++ > 0) return;
  if (!s.up) return;
  for (std::uint32_t link = out_begin_[server]; link < out_begin_[server + 1]; ++link) {
    if (links_[link].up) bring_down(link);
  }
  for (auto link : in_links(server)) {
    if (links_[link].up) bring_down(link);
  }
  s.up = false;
  s.paused = false;
  s.timer_at_ns = kNoTimer;
  // Commands and bytes waiting in a paused process die with it.
  const auto backlog = take_backlog(backlogs_, server);
  for (const auto& input : backlog) {
    if (input.kind == EventKind::deliver_client) {
      metrics_.on_request(false);
      if (trace_ && command_row_[input.payload] != MessageTrace::kNoRow) {
        MessageRecord& row = trace_->row(command_row_[input.payload]);
        row.recv_ns = now_ns_;
        row.outcome = MessageOutcome::lost;
      }
      free_commands_.push_back(input.payload);
    } else {
      if (trace_) trace_lost(take_trace_row(input.payload), message_text(input.payload));
      free_in_flight(input.payload);
    }
  }
  metrics_.on_server_down(now_ns_, server);
}

void Simulation::restart(std::uint32_t server, bool amnesia) {
  SimServer& s = servers_[server];
  if (s.crashes_active > 0 && --s.crashes_active > 0) return;
  if (s.up) return;
  if (amnesia) {
    s.core.reset();  // its slot in the arena is the new server's
    s.core = arena_.make(server, server_config(server));
    if (checker_) checker_->on_state_lost(server);
  }
  s.up = true;
  metrics_.on_server_up(now_ns_, server, amnesia);
  for (std::uint32_t link = out_begin_[server]; link < out_begin_[server + 1]; ++link) {
    reevaluate_link(link);
  }
  for (auto link : in_links(server)) reevaluate_link(link);
}

void Simulation::resume(std::uint32_t server) {
  SimServer& s = servers_[server];
  if (!s.up || !s.paused) return;
  s.paused = false;
  const auto backlog = take_backlog(backlogs_, server);
  for (const auto& input : backlog) {
    if (input.kind == EventKind::deliver_client) {
      deliver_client(input.payload);
    } else {
      deliver_peer(input.a, input.payload);
    }
  }
  s.timer_at_ns = kNoTimer;
  s.core->handle_timeout(local_now(server));
  drain(server);
}

}  // namespace herd::sim
