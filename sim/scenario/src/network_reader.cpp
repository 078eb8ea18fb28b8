// [network]: default latencies, loss, ordering, reconnect delay and per-link overrides.

#include <string>

#include "readers.hpp"

namespace herd::sim::detail {
namespace {

// A loss probability: a number from 0 up to, not including, 1 (a link that loses every
// line is a one-way cut; say so with a fault).
double read_loss(const toml::node& node, const std::string& path) {
  const double loss = as_number(node, path, 0, 1);
  if (loss >= 1) {
    fail_at(node.source(), path + ": expected a probability below 1, got " + describe_type(node) +
                               " (a link that loses every line is a one_way fault)");
  }
  return loss;
}

LinkOverride read_link(const toml::table& table, const std::string& path,
                       const ReadContext& context) {
  check_keys(table, path, {"between", "from", "to", "latency", "loss"});
  LinkOverride link;
  link.where = position_of(table.source()) + ": " + path;
  const toml::node* between = table.get("between");
  const toml::node* from = table.get("from");
  const toml::node* to = table.get("to");
  if (between != nullptr && (from != nullptr || to != nullptr)) {
    const toml::node& extra = from != nullptr ? *from : *to;
    fail_at(extra.source(), path +
                                ": give either between = [\"A\", \"B\"] (both directions) "
                                "or from and to (one direction), not both");
  }
  if (between != nullptr) {
    const toml::array* pair = between->as_array();
    if (pair == nullptr || pair->size() != 2) {
      fail_at(between->source(),
              path +
                  ".between: expected two server names such as "
                  "[\"Clark\", \"Bona\"], got " +
                  describe_type(*between) +
                  (pair != nullptr ? " of " + std::to_string(pair->size()) + " entries"
                                   : std::string{}));
    }
    link.a = as_server(*pair->get(0), index_path(path + ".between", 0), context.servers);
    link.b = as_server(*pair->get(1), index_path(path + ".between", 1), context.servers);
    link.both_directions = true;
    if (link.a == link.b) {
      fail_at(pair->get(1)->source(), path + ".between: a link joins two different servers");
    }
  } else {
    if (from == nullptr || to == nullptr) {
      fail_at(table.source(), path + ": a link needs between = [\"A\", \"B\"], or from and to");
    }
    link.a = as_server(*from, path + ".from", context.servers);
    link.b = as_server(*to, path + ".to", context.servers);
    link.both_directions = false;
    if (link.a == link.b) fail_at(to->source(), path + ".to: a link joins two different servers");
  }
  const toml::node* latency = table.get("latency");
  const toml::node* loss = table.get("loss");
  if (latency == nullptr && loss == nullptr) {
    fail_at(table.source(), path + ": a link override needs latency, loss or both");
  }
  if (latency != nullptr) link.latency = read_distribution(*latency, path + ".latency", context);
  if (loss != nullptr) link.loss = read_loss(*loss, path + ".loss");
  return link;
}

}  // namespace

void read_network(const toml::table& root, Scenario& scenario, const ReadContext& context) {
  const toml::node* node = root.get("network");
  if (node == nullptr) return;
  const toml::table& network = as_table(*node, "network");
  check_keys(network, "[network]",
             {"latency", "client_latency", "loss", "ordering", "reconnect", "links"});
  NetworkSpec& out = scenario.network;
  if (const auto* latency = network.get("latency")) {
    out.latency = read_distribution(*latency, "network.latency", context);
  }
  if (const auto* latency = network.get("client_latency")) {
    out.client_latency = read_distribution(*latency, "network.client_latency", context);
  }
  if (const auto* loss = network.get("loss")) out.loss = read_loss(*loss, "network.loss");
  if (const auto* ordering = network.get("ordering")) {
    const std::string value = as_string(*ordering, "network.ordering");
    if (value != "fifo" && value != "reorder") {
      fail_at(ordering->source(),
              "network.ordering: expected \"fifo\" or \"reorder\", got " + in_quotes(value));
    }
    out.reorder = value == "reorder";
  }
  if (const auto* reconnect = network.get("reconnect")) {
    out.reconnect_ns = as_duration(*reconnect, "network.reconnect");
  }
  if (const auto* links = network.get("links")) {
    const toml::array& entries = as_array(*links, "network.links");
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const std::string path = index_path("network.links", i);
      out.links.push_back(read_link(as_table(*entries.get(i), path), path, context));
    }
  }
}

}  // namespace herd::sim::detail
