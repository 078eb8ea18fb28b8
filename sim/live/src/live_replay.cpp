// LiveRun's replay: the servers' observation files fed to the metrics recorder in time
// order, as the virtual runtime feeds it, and the convergence check during the drain.
#include "live_run.hpp"

namespace herd::sim::live_run {

// --- replay --------------------------------------------------------------------------------

std::uint64_t LiveRun::replay(MetricsRecorder& m, Nanoseconds end_ns) {
  std::vector<live::ObservationFile> files;
  for (const auto& slot : servers_) {
    for (const auto& file : slot.observation_files) {
      std::error_code ec;
      if (!std::filesystem::exists(file, ec)) continue;  // killed before it opened the file
      files.push_back(live::read_observation_file(file, layout_));
      if (files.back().truncated) {
        throw LiveRunError(file.string() + ": the server reached its observation limit; the "
                                           "run's metrics would be incomplete");
      }
    }
  }
  std::vector<RunEvent> events = runner_events_;
  std::uint64_t observed = 0;
  for (const auto& file : files) {
    for (const auto& o : file.events) {
      RunEvent e;
      e.kind = RunEvent::Kind::observed;
      // Every process reads the one host clock: the server's time minus the run's start.
      e.at_ns = std::max<Nanoseconds>(0, o.at_ns - t0_sys_ns_);
      e.server = o.server;
      e.observed = &o;
      events.push_back(e);
      ++observed;
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const RunEvent& a, const RunEvent& b) { return a.at_ns < b.at_ns; });

  const Nanoseconds duration = scenario_.duration_ns;
  const Nanoseconds every = scenario_.sample_every_ns;
  Nanoseconds next_sample = every > 0 ? 0 : -1;
  Nanoseconds last_sample = -1;
  bool workload_marked = false;
  auto feed = [&](const RunEvent& e) {
    switch (e.kind) {
      case RunEvent::Kind::server_down: m.on_server_down(e.at_ns, e.server); return;
      case RunEvent::Kind::server_up: m.on_server_up(e.at_ns, e.server, e.amnesia); return;
      case RunEvent::Kind::heal: m.on_heal(e.at_ns); return;
      case RunEvent::Kind::observed: break;
    }
    const live::ObservedEvent& o = *e.observed;
    using K = live::ObservedEvent::Kind;
    switch (o.kind) {
      case K::accepted: m.on_accepted(e.at_ns, o.server, o.at_line, o.id); break;
      case K::applied: m.on_applied(e.at_ns, o.server, o.id, o.hops, o.from); break;
      case K::ignored: m.on_ignored(e.at_ns, o.server, o.id); break;
      case K::read: m.on_read(e.at_ns, o.server, o.at_line, o.id); break;
    }
  };
  auto samples_up_to = [&](Nanoseconds t) {
    while (next_sample >= 0 && next_sample <= t && next_sample <= duration) {
      m.sample_staleness(next_sample);
      last_sample = next_sample;
      next_sample += every;
    }
  };
  for (const auto& e : events) {
    if (e.at_ns > end_ns) break;
    if (e.at_ns > duration && !workload_marked) {
      samples_up_to(duration);
      if (last_sample != duration) m.sample_staleness(duration);
      m.mark_workload_end();
      workload_marked = true;
    }
    if (!workload_marked) samples_up_to(e.at_ns - 1);
    feed(e);
  }
  if (!workload_marked && end_ns >= duration) {
    samples_up_to(duration);
    if (last_sample != duration) m.sample_staleness(duration);
    m.mark_workload_end();
  }
  return observed;
}

bool LiveRun::converged_now() {
  MetricsRecorder scratch(layout_.size(), false);
  (void)replay(scratch, std::numeric_limits<Nanoseconds>::max());
  return scratch.lagging_pairs() == 0;
}

void LiveRun::stop_servers() {
  for (auto& slot : servers_) {
    if (!slot.process || slot.process->poll()) continue;
    if (slot.paused) slot.process->signal(SIGCONT);
    slot.paused = false;
    slot.process->signal(SIGTERM);
  }
  const auto deadline = SteadyClock::now() + kStopTimeout;
  for (auto& slot : servers_) {
    if (!slot.process) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (!slot.process->wait(std::max(left, std::chrono::milliseconds(0)))) {
      slot.process->signal(SIGKILL);
      (void)slot.process->wait(std::chrono::milliseconds(2000));
    }
    janitor_->forget(slot.process->pid());
  }
}

}  // namespace herd::sim::live_run
