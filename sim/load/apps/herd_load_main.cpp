// herd-load: a load generator for any server that speaks the herd client protocol
// (docs/herd-load.md). Exit status: 0 every measured command was answered well and none was
// skipped; 1 some failed or were skipped; 2 bad usage or a target that cannot be used.

#include <atomic>
#include <csignal>
#include <exception>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "herd/sim/load/load.hpp"
#include "herd/sim/load/report.hpp"

namespace {

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// The first Ctrl-C ends the load early (what was measured is still reported); a second
// one kills the program.
std::atomic<bool> interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int) {
  interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace herd::sim::load;
  CLI::App app{"herd-load: IAMAT/WHATSAT load for servers that speak the herd client protocol"};
  app.footer(
      "Exit codes: 0 every measured command got a well-formed reply and none was skipped; "
      "1 some failed or were skipped; 2 bad usage or a target that cannot be used.");
  std::vector<std::string> target_texts;
  std::string style = "persistent";
  std::string arrivals = "poisson";
  std::string json_out;
  bool quiet = false;
  LoadOptions options;
  app.add_option("targets", target_texts, "Servers to load, host:port ([::1]:port for IPv6)")
      ->required();
  app.add_option("--style", style,
                 "per-command: connect, one command without a newline, half-close, read to EOF "
                 "(the graders' way); persistent: long-lived connections, pipelined")
      ->check(CLI::IsMember({"per-command", "persistent"}))
      ->capture_default_str();
  app.add_option("-c,--connections", options.connections,
                 "persistent: connections (round robin over the targets); per-command closed "
                 "loop: concurrent connect-command-close loops")
      ->capture_default_str();
  app.add_option("--outstanding", options.outstanding,
                 "closed loop: commands in flight per connection")
      ->capture_default_str();
  app.add_option("-r,--rate", options.rate_per_s,
                 "open loop: commands per second over all targets (0 = closed loop)")
      ->capture_default_str();
  app.add_option("--arrivals", arrivals, "open loop: poisson (exponential gaps) or fixed spacing")
      ->check(CLI::IsMember({"poisson", "fixed"}))
      ->capture_default_str();
  app.add_option("--whatsat", options.workload.whatsat_fraction,
                 "share of commands that are WHATSATs (0..1)")
      ->capture_default_str();
  app.add_option("--clients", options.workload.clients, "distinct client names")
      ->capture_default_str();
  app.add_option("--client-prefix", options.workload.client_prefix, "client names start with this")
      ->capture_default_str();
  app.add_option("--radius", options.workload.radius_km, "WHATSAT radius, km (0, 50]")
      ->capture_default_str();
  app.add_option("--bound", options.workload.bound, "WHATSAT bound, 1..20")->capture_default_str();
  app.add_option("--seed", options.seed, "seeds client names, positions, the mix and arrivals")
      ->capture_default_str();
  app.add_option("-d,--duration", options.duration_s, "seconds of load after the warm-up");
  app.add_option("-n,--count", options.count, "commands to issue after the warm-up");
  app.add_option("--warmup", options.warmup_s, "seconds of load before measuring")
      ->capture_default_str();
  app.add_option("--timeout", options.timeout_s, "seconds a command may wait for its reply")
      ->capture_default_str();
  app.add_option("--max-connections", options.max_connections, "sockets open at once, at most")
      ->capture_default_str();
  app.add_option("--max-reply-bytes", options.max_reply_bytes,
                 "a longer reply is malformed")
      ->capture_default_str();
  app.add_option("--max-backlog", options.max_backlog,
                 "open loop: commands waiting for a connection per thread; more are skipped")
      ->capture_default_str();
  app.add_option("-t,--threads", options.threads, "threads, each with its own connections")
      ->capture_default_str();
  app.add_option("--json", json_out, "write the JSON record to FILE, or to stdout with -");
  app.add_flag("-q,--quiet", quiet, "no progress line on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  options.style = style == "persistent" ? ConnectionStyle::persistent : ConnectionStyle::per_command;
  options.arrivals = arrivals == "poisson" ? Arrivals::poisson : Arrivals::fixed;

  try {
    options.targets = resolve_targets(target_texts);
    validate(options);
  } catch (const LoadError& e) {
    std::cerr << "herd-load: " << e.what() << "\n";
    return kExitUsage;
  }
  Progress before;
  if (!quiet) {
    options.progress = [&before](const Progress& now) {
      std::cerr << format_progress(now, before) << std::endl;
      before = now;
    };
  }
  options.interrupt = &interrupted;
  std::signal(SIGINT, on_interrupt);
  LoadResult result;
  try {
    result = run_load(options);
  } catch (const std::exception& e) {
    std::cerr << "herd-load: " << e.what() << "\n";
    return kExitUsage;
  }
  // With the JSON on stdout, the table goes to stderr so stdout stays parseable.
  (json_out == "-" ? std::cerr : std::cout) << format_table(options, result);
  if (!json_out.empty()) {
    const std::string text = json_text(to_json(options, result)) + "\n";
    if (json_out == "-") {
      std::cout << text << std::flush;
    } else {
      std::ofstream file(json_out, std::ios::binary);
      file << text;
      if (!file.flush()) {
        std::cerr << "herd-load: cannot write " << json_out << "\n";
        return kExitUsage;
      }
    }
  }
  return result.failed() == 0 && result.skipped == 0 && result.unsolicited == 0 ? 0 : kExitFailed;
}
