#pragma once
// Simulated clients: Poisson IAMAT and WHATSAT streams herd-wide, each command from a client
// drawn uniformly, sent to a server by the attach policy, from a position that moves by
// random waypoint inside a bounding box. Clients' clocks are true virtual time.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "herd/sim/prng.hpp"
#include "herd/sim/scenario.hpp"

namespace herd::sim {

struct ClientCommand {
  enum class Kind : std::uint8_t { iamat, whatsat, script };
  Kind kind = Kind::iamat;
  std::uint32_t server = 0;
  std::string line;  // without a newline
};

class Workload {
 public:
  Workload(const WorkloadSpec& spec, std::uint32_t servers, std::uint64_t seed,
           Nanoseconds epoch_ns, Nanoseconds duration_ns);

  // When the first command of each stream is due, if the stream has any.
  [[nodiscard]] std::optional<Nanoseconds> first_iamat();
  [[nodiscard]] std::optional<Nanoseconds> first_whatsat();
  // The command due now, and when the stream's next one is due.
  [[nodiscard]] ClientCommand make_iamat(Nanoseconds now_ns);
  [[nodiscard]] std::optional<ClientCommand> make_whatsat(Nanoseconds now_ns);
  [[nodiscard]] std::optional<Nanoseconds> next_iamat(Nanoseconds now_ns);
  [[nodiscard]] std::optional<Nanoseconds> next_whatsat(Nanoseconds now_ns);

  [[nodiscard]] const std::string& client_name(std::uint32_t client) const {
    return names_.at(client);
  }
  // Formats a POSIX timestamp with nine decimals, as clients send it.
  [[nodiscard]] static std::string format_timestamp(Nanoseconds posix_ns);

 private:
  struct Client {
    double lat = 0, lng = 0;          // position at `at_ns`
    double target_lat = 0, target_lng = 0;
    Nanoseconds at_ns = 0;
    std::uint32_t home = 0;           // sticky_random's server
    bool reported = false;
  };
  [[nodiscard]] std::uint32_t pick_server(std::uint32_t client);
  [[nodiscard]] std::optional<Nanoseconds> next_after(Nanoseconds now_ns, double rate_per_s);
  void move(Client& client, Nanoseconds now_ns);
  void pick_target(Client& client);

  WorkloadSpec spec_;
  std::uint32_t servers_;
  Nanoseconds epoch_ns_;
  Nanoseconds end_ns_;
  Prng rng_;
  std::vector<Client> clients_;
  std::vector<std::string> names_;
  std::vector<std::uint32_t> reported_;  // clients that have sent an IAMAT
  std::uint64_t round_robin_ = 0;
};

}  // namespace herd::sim
