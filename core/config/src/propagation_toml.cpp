#include "herd/config/propagation_toml.hpp"

#include <limits>
#include <stdexcept>

#include "herd/config/units.hpp"

namespace herd::config {
namespace {

constexpr std::string_view kKeys[] = {
    "fanout", "hop_limit", "feedback", "loss", "k", "period", "rounds", "counter_reset",
    "ihave_delay", "graft_timeout", "prune_after", "anti_entropy", "anti_entropy_period",
    "anti_entropy_on_connect"};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

void read_propagation(const toml::table& root, core::PropagationConfig& p, const FailAt& fail) {
  if (const auto* herd = root.get_as<toml::table>("herd")) {
    if (const toml::node* node = herd->get("strategy")) {
      const auto* name = node->as_string();
      auto push = name ? core::parse_push(name->get()) : std::nullopt;
      if (!push) {
        fail(node->source(), "herd.strategy: expected one of \"flood\", \"gossip\", \"rumor\", "
                             "\"plumtree\" (anti-entropy is [strategy] anti_entropy = true)");
      }
      p.push = *push;
    }
  }
  const toml::node* table_node = root.get("strategy");
  if (!table_node) return;
  const toml::table* t = table_node->as_table();
  if (!t) {
    fail(table_node->source(), "strategy: expected a table of strategy parameters");
    return;
  }
  for (const auto& [key, value] : *t) {
    bool known = false;
    for (auto k : kKeys) known = known || key.str() == k;
    if (!known) {
      std::string list;
      for (auto k : kKeys) list += (list.empty() ? "" : ", ") + std::string(k);
      fail(key.source(), "unknown key " + quoted(key.str()) + " in [strategy]; expected one of: " + list);
    }
  }
  auto count = [&](const char* key, std::uint32_t& field, std::int64_t min) {
    const toml::node* v = t->get(key);
    if (!v) return;
    const auto* i = v->as_integer();
    if (!i || i->get() < min || i->get() > std::numeric_limits<std::uint32_t>::max()) {
      fail(v->source(), "strategy." + std::string(key) + ": expected an integer >= " + std::to_string(min));
      return;
    }
    field = static_cast<std::uint32_t>(i->get());
  };
  auto duration = [&](const char* key, core::Nanoseconds& field, core::Nanoseconds min) {
    const toml::node* v = t->get(key);
    if (!v) return;
    const auto* s = v->as_string();
    try {
      if (!s) throw std::invalid_argument("expected a duration string like \"500ms\"");
      core::Nanoseconds ns = parse_duration(s->get());
      if (ns < min) throw std::invalid_argument("must be at least " + format_duration(min));
      field = ns;
    } catch (const std::invalid_argument& e) {
      fail(v->source(), "strategy." + std::string(key) + ": " + e.what());
    }
  };
  auto flag = [&](const char* key, bool& field) {
    const toml::node* v = t->get(key);
    if (!v) return;
    if (!v->is_boolean()) fail(v->source(), "strategy." + std::string(key) + ": expected true or false");
    field = v->as_boolean()->get();
  };
  count("fanout", p.fanout, 1);
  count("hop_limit", p.hop_limit, 0);
  count("k", p.rumor_k, 1);
  flag("feedback", p.rumor_feedback);
  if (const toml::node* v = t->get("loss")) {
    const auto* s = v->as_string();
    if (!s || (s->get() != "counter" && s->get() != "coin")) {
      fail(v->source(), "strategy.loss: expected \"counter\" or \"coin\"");
    }
    p.rumor_counter = s->get() == "counter";
  }
  duration("period", p.rumor_period_ns, 1);
  if (const toml::node* v = t->get("rounds")) {
    const auto* s = v->as_string();
    auto rounds = s ? core::parse_rounds(s->get()) : std::nullopt;
    if (!rounds) fail(v->source(), "strategy.rounds: expected \"async\" or \"sync\"");
    p.rumor_rounds = *rounds;
  }
  flag("counter_reset", p.rumor_counter_reset);
  if (const toml::node* v = t->get("counter_reset"); v && p.rumor_counter_reset &&
                                                     (!p.rumor_feedback || !p.rumor_counter)) {
    // Checked here as well as by the strategy, so the error points at the file.
    fail(v->source(), "strategy.counter_reset: needs feedback = true and loss = \"counter\" "
                      "(blind, a server never learns whether a push was useful; a coin keeps "
                      "no count)");
  }
  duration("ihave_delay", p.plumtree_ihave_delay_ns, 0);
  duration("graft_timeout", p.plumtree_graft_timeout_ns, 1);
  count("prune_after", p.plumtree_prune_after, 1);
  flag("anti_entropy", p.anti_entropy);
  duration("anti_entropy_period", p.anti_entropy_period_ns, 1);
  flag("anti_entropy_on_connect", p.anti_entropy_on_connect);
}

std::string propagation_label(const core::PropagationConfig& p) {
  std::string label(core::to_string(p.push));
  if (p.anti_entropy) label += "+anti-entropy";
  return label;
}

}  // namespace herd::config
