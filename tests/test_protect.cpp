// Protection schemes and Pareto sorting: TMR masks every single-replica fault exactly (and not a
// two-replica one); EDAC corrects a duplicated channel and zeroes out-of-interval values; ABFT
// locates and corrects one corrupted output of conv and linear layers; range restriction and
// stored-weight decoding; overhead accounting; protection JSON errors; non-dominated sorting.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/runtime.h"
#include "faults/sites.h"
#include "models/zoo.h"
#include "common/json_reader.h"
#include "protect/abft.h"
#include "protect/design_space.h"
#include "protect/overhead.h"
#include "protect/protection_spec.h"
#include "protect/range_restrict.h"
#include "protect/redundancy.h"
#include "protect/schemes.h"
#include "models/stored_weight.h"
#include "prune/vulnerability.h"
#include "train/subnetwork.h"
#include "train/trainer.h"

#include "protect_support.h"
#include "test_support.h"

#include <QtTest>

using namespace faultscape;
using nlohmann::json;

namespace {

Network lenet() { return test::zoo_network("lenet5", 3); }

using test::images;
using test::protect;
using test::run;
using test::same;

}  // namespace

class TestProtect : public QObject {
  Q_OBJECT

 private slots:
  void tmr_masks_every_single_replica_fault() {
    for (const std::string vote : {"median", "min"}) {
      Network base = lenet();
      torch::Tensor x = images(16);
      Network tmr = protect(base, json::array({{{"scheme", "tmr"}, {"vote", vote}}}), {});
      const torch::Tensor golden = run(tmr, x);
      QVERIFY(test::close_values(golden, run(base, x)));  // replicas compute what the original does
      FaultModel f;
      std::vector<WeightSite> sites = weight_sites(tmr, f);
      QCOMPARE(sites.size(), weight_sites(base, f).size() * 3);  // three separate copies
      torch::NoGradGuard no_grad;
      for (const auto& site : sites) {
        // Corrupt the whole tensor of one replica: NaN, and a huge value.
        for (float bad : {std::nanf(""), 1e30f}) {
          torch::Tensor saved = site.tensor.clone();
          site.tensor.fill_(bad);
          const bool masked = same(run(tmr, x), golden);
          site.tensor.copy_(saved);
          QVERIFY2(masked, (site.name + " vote " + vote).c_str());
        }
      }
      // The same fault in two replicas is not masked: the test can fail.
      torch::Tensor w0 = sites[0].tensor, w1;
      for (const auto& s : sites)
        if (s.name != sites[0].name && s.tensor.sizes() == w0.sizes() && s.name.find(".r1.") != std::string::npos)
          w1 = s.tensor;
      QVERIFY(w1.defined());
      torch::Tensor saved0 = w0.clone(), saved1 = w1.clone();
      w0.fill_(1e30f), w1.fill_(1e30f);
      QVERIFY(!same(run(tmr, x), golden));
      w0.copy_(saved0), w1.copy_(saved1);
    }
  }

  void tmr_overhead_is_three_times() {
    Network base = lenet();
    Network tmr = protect(base, json::array({{{"scheme", "tmr"}}}), {});
    Overhead o = measure_overhead(base, tmr, images(8));
    QCOMPARE(o.params, 3 * o.params_base);
    QCOMPARE(o.macs, 3 * o.macs_base);
    QVERIFY(o.extra_ops > 0);
    QVERIFY(o.memory_bytes >= 3 * o.memory_bytes_base);
    QVERIFY(o.latency_ms > 0 && o.latency_ms_base > 0);
    QVERIFY(o.hardware_cost() > 2.9);
  }

  // Issue 14 fix 6: FAT Fig. 9's cost, the fully unrolled network (one PE per MAC): triplicating
  // k channels of conv0 adds exactly 2k channels' MACs and one voter per value of the k channels,
  // and the voter is charged for those channels only (not for every channel of the layer).
  void unrolled_cost_counts_triplicated_channels_only() {
    Network base = lenet();
    torch::Tensor profile = images(64, 5);
    json details;
    const int64_t k = 3;
    Network net = apply_protection(
        base, parse_protection(json::array({{{"scheme", "replicate"}, {"k", k}, {"layers", {"conv0"}}}}), "test"),
        profile, torch::Tensor(), details);
    Overhead o = measure_overhead(base, net, torch::Tensor());
    auto* conv = dynamic_cast<QuantConv2dImpl*>(base->stage(0).module->children()[0].get());
    QVERIFY(conv != nullptr);
    torch::Tensor out;
    {
      torch::InferenceMode inference;
      out = base->forward_range(images(1), 0, 1);
    }
    const int64_t spatial = out.size(2) * out.size(3);
    const torch::Tensor& w = conv->conv->weight;
    const int64_t macs_per_channel = spatial * w.size(1) * w.size(2) * w.size(3);
    QCOMPARE(o.macs, o.macs_base + 2 * k * macs_per_channel);
    QCOMPARE(o.voted_values, k * spatial);
    QCOMPARE(o.extra_ops, 3 * k * spatial);  // two equality tests and a select per voted value
    const double expected = static_cast<double>(o.macs_base + 2 * k * macs_per_channel + k * spatial) / o.macs_base;
    QCOMPARE(o.unrolled_cost(), expected);  // the same integer ratio, computed the same way
    QVERIFY(o.unrolled_cost() > 1.0);
    QCOMPARE(o.to_json().at("unrolled_cost").get<double>(), expected);
    // The mixed cost (kept by its name) still averages in memory, so it differs.
    QVERIFY(std::abs(o.hardware_cost() - o.unrolled_cost()) > 1e-6);
    // Whole-network TMR: three times the MACs plus one voter per output value of every stage.
    Network tmr = protect(base, json::array({{{"scheme", "tmr"}}}), {});
    Overhead t = measure_overhead(base, tmr, torch::Tensor());
    QVERIFY(t.voted_values > 0);
    QCOMPARE(t.unrolled_cost(), static_cast<double>(3 * t.macs_base + t.voted_values) / t.macs_base);
  }

  void vote_rules() {
    auto t = [](std::vector<float> v) { return torch::tensor(v); };
    torch::Tensor a = t({1, 5, 7, 1}), b = t({1, 2, 3, 9}), c = t({4, 2, 5, 9});
    QVERIFY(same(vote3(a, b, c, true), t({1, 2, 5, 9})));   // majority, else median
    QVERIFY(same(vote3(a, b, c, false), t({1, 2, 3, 9})));  // majority, else minimum
    // Replicas of one widened layer may differ in the last bit: with a tolerance they still form
    // the majority against a replica stuck low, which "min" alone would pick.
    torch::Tensor good = t({3, 5}), next = torch::nextafter(good, t({4, 6})), stuck = t({0, -1e6f});
    QVERIFY(same(vote3(good, next, stuck, false), stuck));  // exact agreement: the failure
    QVERIFY(same(vote3(stuck, good, next, false, t({1e-5f, 1e-5f})), good));
    QVERIFY(same(vote3(good, stuck, next, false, t({1e-5f, 1e-5f})), good));
    QVERIFY(same(vote3(good, next, stuck, true, t({1e-5f, 1e-5f})), good));
    // A tolerance does not make a NaN agree, nor a value further away.
    QVERIFY(same(vote3(good, t({std::nanf(""), 9}), t({4, 7}), false, t({0.5f, 0.5f})), t({3, 5})));
  }

  void edac_module_corrects_and_zeroes() {
    // C = 3 channels, channel 1 duplicated; intervals [0, 10] for every channel.
    Edac edac(torch::tensor({1}, torch::kLong), torch::zeros({3}), torch::full({3}, 10.0), 2, true);
    auto t = [](std::vector<float> v) { return torch::tensor(v).view({1, -1}); };
    // Copies agree: output is the input.
    QVERIFY(same(edac->forward(t({2, 3, 4, 3})), t({2, 3, 4})));
    // The original copy of channel 1 is corrupted (outside its interval): the duplicate wins.
    QVERIFY(same(edac->forward(t({2, 1e20f, 4, 3})), t({2, 3, 4})));
    // The duplicate is corrupted, or NaN: the original wins.
    QVERIFY(same(edac->forward(t({2, 3, 4, -7})), t({2, 3, 4})));
    QVERIFY(same(edac->forward(t({2, 3, 4, std::nanf("")})), t({2, 3, 4})));
    // Non-duplicated channels: outside the interval -> 0, NaN -> 0.
    QVERIFY(same(edac->forward(t({11, 3, 4, 3})), t({0, 3, 4})));
    QVERIFY(same(edac->forward(t({2, 3, std::nanf(""), 3})), t({2, 3, 0})));
    // Without intervals for non-duplicated channels the value passes.
    Edac plain(torch::tensor({1}, torch::kLong), torch::zeros({3}), torch::full({3}, 10.0), 2, false);
    QVERIFY(same(plain->forward(t({11, 3, 4, 3})), t({11, 3, 4})));
    // Triplication + voter.
    Edac tri(torch::tensor({1}, torch::kLong), torch::zeros({3}), torch::full({3}, 10.0), 3, true);
    QVERIFY(same(tri->forward(t({2, 9, 4, 3, 3})), t({2, 3, 4})));
  }

  void edac_network_corrects_duplicated_channel_weights() {
    Network base = lenet();
    // Evaluated on the profiled images, which lie inside the detection intervals.
    torch::Tensor profile = images(64, 7), x = profile;
    Network net = protect(
        base, json::array({{{"scheme", "edac"}, {"ratio", 0.5}, {"placement", "activation"}, {"layers", {"fc0"}}}}),
        profile);
    int fc0 = net->stage_index("fc0"), edac = net->stage_index("fc0_edac");
    QCOMPARE(edac, fc0 + 1);
    QVERIFY(net->stage_index("fc2_edac") < 0);
    torch::Tensor golden = run(net, x);
    QVERIFY(test::close_values(golden, run(base, x)));
    // Every clean copy of the profiled data lies inside its channel's interval, however the widened
    // layer rounds (the intervals are profiled on the original and on the widened layer).
    {
      torch::InferenceMode inference;
      torch::Tensor wide = net->forward_range(x, 0, fc0 + 1);
      auto buffers = net->stage(edac).module->named_buffers();
      torch::Tensor lo = *buffers.find("0.lower"), hi = *buffers.find("0.upper");
      torch::Tensor dup = *buffers.find("0.duplicated");
      torch::Tensor main = wide.narrow(1, 0, 120), copy = wide.narrow(1, 120, 60);
      QVERIFY((main >= lo).all().item<bool>() && (main <= hi).all().item<bool>());
      QVERIFY((copy >= lo.index_select(0, dup)).all().item<bool>() &&
              (copy <= hi.index_select(0, dup)).all().item<bool>());
    }
    // Stage output of fc0: 120 channels + 60 duplicates; find a duplicated channel from the weights.
    torch::Tensor w;
    for (const auto& p : net->stage(fc0).module->named_parameters())
      if (p.key().find("weight") != std::string::npos) w = p.value();
    QCOMPARE(w.size(0), int64_t{180});
    torch::Tensor rows = w.narrow(0, 0, 120), dups = w.narrow(0, 120, 60);
    int64_t dup_channel = -1;
    for (int64_t c = 0; c < 120 && dup_channel < 0; ++c)
      if (torch::equal(rows[c], dups[0])) dup_channel = c;
    QVERIFY(dup_channel >= 0);
    torch::NoGradGuard no_grad;
    torch::Tensor saved = w.clone();
    rows[dup_channel].fill_(1e20f);  // the original copy of a duplicated channel goes wild
    torch::Tensor h = run(net, x);
    QVERIFY(test::close_values(h, golden));
    w.copy_(saved);
    // A non-duplicated channel with huge weights is zeroed: its EDAC output is 0 everywhere.
    int64_t plain = -1;
    for (int64_t c = 0; c < 120 && plain < 0; ++c) {
      bool is_dup = false;
      for (int64_t d = 0; d < 60; ++d) is_dup = is_dup || torch::equal(rows[c], dups[d]);
      if (!is_dup) plain = c;
    }
    QVERIFY(plain >= 0);
    rows[plain].fill_(1e20f);
    torch::InferenceMode inference;
    torch::Tensor in = net->forward_range(x, 0, fc0);
    torch::Tensor raw = net->forward_range(in, fc0, fc0 + 1);
    torch::Tensor corrected = net->forward_range(raw, edac, edac + 1);
    QVERIFY(raw.select(1, plain).abs().max().item<float>() > 1e10f);
    QVERIFY(corrected.select(1, plain).eq(0).all().item<bool>());
    w.copy_(saved);
  }

  void abft_corrects_single_output_conv_and_linear() {
    torch::manual_seed(11);
    QuantConv2d conv(3, 8, 3, 1, 1, true, WeightQuant{});
    QuantLinear lin(20, 10, true, WeightQuant{});
    std::vector<std::pair<Abft, torch::Tensor>> cases = {{Abft(conv), torch::randn({2, 3, 6, 6})},
                                                         {Abft(lin), torch::randn({4, 20})}};
    torch::InferenceMode inference;
    for (auto& [abft, x] : cases) {
      torch::Tensor y = abft->conv ? abft->conv->forward(x) : abft->linear->forward(x);
      torch::Tensor clean = abft->check(x, y);
      QCOMPARE(abft->counts.detected, int64_t{0});  // no false alarm on a clean output
      QVERIFY(same(clean, y));
      for (float bad : {25.0f, -3.0f, std::nanf(""), INFINITY}) {
        torch::Tensor corrupt = y.clone();
        corrupt.view({-1})[y.numel() / 2 + 1] = y.view({-1})[y.numel() / 2 + 1] + bad;
        abft->counts = {};
        torch::Tensor fixed = abft->check(x, corrupt);
        QCOMPARE(abft->counts.detected, int64_t{1});
        QCOMPARE(abft->counts.corrected, int64_t{1});
        QVERIFY(torch::allclose(fixed, y, 1e-4, 1e-4));
      }
      // Two faulty outputs at one position are detected but not corrected.
      torch::Tensor two = y.clone();
      two.select(1, 1).add_(10), two.select(1, 3).add_(5);
      abft->counts = {};
      abft->check(x, two);
      QVERIFY(abft->counts.uncorrectable > 0);
    }
  }

  void abft_network_corrects_weight_fault() {
    Network base = lenet();
    torch::Tensor x = images(8);
    Network net = protect(base, json::array({{{"scheme", "abft"}}}), {});
    torch::Tensor golden = run(base, x);
    QVERIFY(torch::allclose(run(net, x), golden, 1e-4, 1e-4));
    FaultModel f;
    f.tensors = {"weight"};
    std::vector<WeightSite> sites = weight_sites(net, f);
    QCOMPARE(sites.size(), weight_sites(base, f).size());
    torch::NoGradGuard no_grad;
    for (const auto& site : sites) {
      float old = site.tensor.view({-1})[3].item<float>();
      site.tensor.view({-1})[3] = 1e6f;  // one weight: one output channel wrong at every position
      torch::Tensor y = run(net, x);
      site.tensor.view({-1})[3] = old;
      QVERIFY2(torch::allclose(y, golden, 1e-3, 1e-3), site.name.c_str());
    }
    json counts = abft_counts(net);
    QVERIFY(counts["corrected"].get<int64_t>() > 0);
  }

  void range_restriction_bounds_and_modes() {
    Network base = lenet();
    torch::Tensor profile = images(64, 9), x = images(8);
    for (const std::string scheme : {"ranger", "clipact"}) {
      Network net = protect(base, json::array({{{"scheme", scheme}, {"granularity", "channel"}}}), profile);
      QVERIFY(net->stage_index("conv0_range") == net->stage_index("conv0") + 1);
      QVERIFY(net->stage_index("fc2_range") < 0);  // logits are not restricted by default
      // The profiled data lies inside its bounds: the predictions do not change.
      QVERIFY(test::same_predictions(run(net, profile), run(base, profile)));
    }
    RangeRestrict clamp(torch::tensor({0.0f}), torch::tensor({2.0f}), "clamp");
    RangeRestrict zero(torch::tensor({0.0f}), torch::tensor({2.0f}), "zero");
    torch::Tensor v = torch::tensor({-1.0f, 1.0f, 5.0f, std::nanf("")}).view({1, 4});
    QVERIFY(same(clamp->forward(v), torch::tensor({0.0f, 1.0f, 2.0f, 0.0f}).view({1, 4})));
    QVERIFY(same(zero->forward(v), torch::tensor({0.0f, 1.0f, 0.0f, 0.0f}).view({1, 4})));
  }

  void stored_weights_decode_and_saturate() {
    Network base = lenet();
    torch::Tensor x = images(8);
    torch::Tensor golden = run(base, x);
    for (const json& s : {json{{"scheme", "saturate"}}, json{{"scheme", "saturate"}, {"function", "atan"}},
                          json{{"scheme", "scale"}, {"factor", 64}}}) {
      Network net = protect(base, json::array({s}), {});
      QVERIFY2(torch::allclose(run(net, x), golden, 1e-4, 1e-4), s.dump().c_str());
    }
    // A corrupted stored value decodes into [-s, s].
    torch::manual_seed(2);
    StoredWeight sw(QuantLinear(4, 3, true, WeightQuant{}), "tanh", 1.5);
    torch::NoGradGuard no_grad;
    sw->linear->linear->weight.view({-1})[0] = 1e30f;
    QVERIFY(sw->decoded_weight().abs().max().item<double>() <= sw->named_buffers()["decode_scale"].item<double>());
  }

  void protection_json_errors_name_the_field() {
    auto error = [](const json& j) {
      try {
        parse_protection(j, "p.json");
      } catch (const ValidationError& e) {
        return std::string(e.what());
      }
      return std::string();
    };
    QVERIFY(error(json::array({{{"scheme", "tmr"}, {"vote", "max"}}})).find("protection[0].vote") != std::string::npos);
    QVERIFY(error(json::array({{{"scheme", "edac"}, {"ratio", 2}}})).find("protection[0].ratio") != std::string::npos);
    QVERIFY(error(json::array({{{"scheme", "nope"}}})).find("protection[0].scheme") != std::string::npos);
    QVERIFY(error(json::array({{{"scheme", "abft"}, {"vote", "min"}}})).find("protection[0].vote: unknown key") !=
            std::string::npos);
    QVERIFY(error(json{{"scheme", "tmr"}}).find("protection: expected an array") != std::string::npos);
    QVERIFY(error(json::array({{{"scheme", "ranger"}}, {{"scheme", "tmr"}}})).empty());
    QVERIFY(error(json::array({{{"scheme", "replicate"}, {"k", -1}}})).find("protection[0].k") != std::string::npos);
    QVERIFY(
        error(json::array({{{"scheme", "replicate"}, {"stuck_values", "some"}}})).find("protection[0].stuck_values") !=
        std::string::npos);
    QVERIFY(error(json::array({{{"scheme", "qbound"}, {"mode", "searched"}}})).find("protection[0].mode") !=
            std::string::npos);
    QVERIFY(error(json::array({{{"scheme", "qbound"}, {"tolerance", 1}}})).find("protection[0].tolerance: unknown") !=
            std::string::npos);  // tolerance belongs to the optimized mode
    // An unknown layer is named with its JSON path when applied.
    Network base = lenet();
    try {
      protect(base, json::array({{{"scheme", "tmr"}, {"layers", {"conv9"}}}}), {});
      QFAIL("no error for an unknown layer");
    } catch (const ConfigError& e) {
      QVERIFY(std::string(e.what()).find("protection[0].layers: no stage \"conv9\"") != std::string::npos);
    }
  }

  void selective_replication_triplicates_the_most_critical_channels() {
    Network base = lenet();
    torch::Tensor profile = images(128, 11), x = profile;
    json details;
    Network net = apply_protection(base, parse_protection(json::array({{{"scheme", "replicate"}, {"k", 5}}}), "test"),
                                   profile, torch::Tensor(), details);
    const json& d = details[0];
    QCOMPARE(d["triplicated"].get<int>(), 5);
    torch::Tensor golden = run(net, x);
    QVERIFY(test::close_values(golden, run(base, x)));  // no fault: the same function
    // The triplicated channels are the 5 of largest measured impact over all layers.
    std::vector<std::pair<double, std::string>> impacts;
    for (const auto& r : d["ranking"])
      for (size_t c = 0; c < r["impact"].size(); ++c)
        impacts.push_back({r["impact"][c].get<double>(), r["layer"].get<std::string>() + "/" + std::to_string(c)});
    std::set<std::string> chosen;
    for (const auto& l : d["layers"])
      for (const auto& c : l["triplicated"])
        chosen.insert(l["layer"].get<std::string>() + "/" + std::to_string(c.get<int>()));
    QCOMPARE(chosen.size(), size_t{5});
    double min_chosen = 1e9, max_other = -1e9;
    for (const auto& [impact, id] : impacts) {
      if (chosen.count(id))
        min_chosen = std::min(min_chosen, impact);
      else
        max_other = std::max(max_other, impact);
    }
    QVERIFY2(min_chosen >= max_other, (std::to_string(min_chosen) + " < " + std::to_string(max_other)).c_str());
    QVERIFY(min_chosen > 0);  // an untrained lenet still changes predictions when a channel is stuck
    // A stuck original copy of a triplicated channel is outvoted; a stuck plain channel is not.
    const json& layer = d["layers"][0];
    const int s = net->stage_index(layer["layer"].get<std::string>()), vote = s + 1;
    QCOMPARE(net->stage(vote).name, layer["layer"].get<std::string>() + "_vote");
    torch::InferenceMode inference;
    torch::Tensor site = net->forward_range(x, 0, s + 1);
    const int64_t channels = layer["channels"].get<int64_t>(), tripled = layer["triplicated"][0].get<int64_t>();
    QCOMPARE(site.size(1), channels + 2 * static_cast<int64_t>(layer["triplicated"].size()));
    for (float stuck : {0.0f, 1e6f}) {
      torch::Tensor faulty = site.clone();
      faulty.select(1, tripled).fill_(stuck);
      QVERIFY(test::close_values(net->forward_range(faulty, vote, net->size()), golden));
    }
    int64_t plain = 0;
    while (std::find(layer["triplicated"].begin(), layer["triplicated"].end(), plain) != layer["triplicated"].end())
      ++plain;
    torch::Tensor faulty = site.clone();
    faulty.select(1, plain).fill_(1e6f);
    QVERIFY(!same(net->forward_range(faulty, vote, net->size()), golden));
    // Another machine may round the copies of the widened layer differently from each other: with the
    // first copy's weights one ulp larger, a stuck original is still outvoted (and "min" would
    // otherwise pick a stuck-at-0 original below two disagreeing copies).
    torch::Tensor w;
    for (const auto& p : net->stage(s).module->named_parameters())
      if (p.key().find("weight") != std::string::npos && p.value().dim() >= 2) w = p.value();
    const int64_t t = static_cast<int64_t>(layer["triplicated"].size());
    {
      torch::NoGradGuard no_grad;
      torch::Tensor copy1 = w.narrow(0, channels, t);
      copy1.copy_(torch::nextafter(copy1, torch::full_like(copy1, INFINITY)));
    }
    torch::Tensor nudged = net->forward_range(x, 0, s + 1);
    QVERIFY(!torch::equal(nudged.select(1, tripled), nudged.select(1, channels)));  // the copies differ
    for (float stuck : {0.0f, 1e6f, -1e6f}) {
      torch::Tensor bad = nudged.clone();
      bad.select(1, tripled).fill_(stuck);
      QVERIFY(test::close_values(net->forward_range(bad, vote, net->size()), golden));
    }
  }

  void protected_logits_layer_is_still_not_an_activation_site() {
    // Activation faults skip the logits layer; a checker after it must not turn it into a site.
    Network base = lenet();
    Network tmr = protect(base, json::array({{{"scheme", "tmr"}, {"layers", {"fc2"}}}}), {});
    QCOMPARE(tmr->stage(tmr->size() - 1).name, std::string("fc2_vote"));
    FaultModel f;
    f.target = "activations";
    std::vector<std::string> plain, guarded;
    for (int s : selected_stages(base, f, false)) plain.push_back(base->stage(s).name);
    for (int s : selected_stages(tmr, f, false)) guarded.push_back(tmr->stage(s).name);
    QVERIFY(std::find(plain.begin(), plain.end(), "fc2") == plain.end());
    QVERIFY(plain == guarded);
  }

  void optimized_quantization_bound_keeps_accuracy_within_tolerance() {
    seed_everything(3);
    ModelConfig c;
    c.name = "lenet5";
    c.weight_bits = 4;
    c.act_bits = 4;
    Network base = build_network(c, {1, 28, 28}, 10);
    base->eval();
    torch::Tensor x = images(256, 13);
    torch::Tensor labels = run(base, x).argmax(1);  // reference accuracy 100 %
    auto optimize = [&](double tolerance, json& details) {
      json spec = json::array({{{"scheme", "qbound"}, {"mode", "optimized"}, {"tolerance", tolerance}}});
      return apply_protection(base, parse_protection(spec, "test"), x, labels, details);
    };
    json strict, loose;
    Network kept = optimize(0.0, strict);
    const double chosen = strict[0]["chosen_factor"].get<double>();
    QCOMPARE(strict[0]["reference_accuracy"].get<double>(), 100.0);
    QVERIFY(torch::equal(run(kept, x).argmax(1), labels));  // within 0 points
    for (const auto& t : strict[0]["search"])
      if (t["factor"].get<double>() < chosen - 1e-9) QVERIFY(t["accuracy"].get<double>() < 100.0);  // why it stopped
    // The chosen network is the basic scheme at that factor.
    json basic;
    Network same_bound = apply_protection(
        base, parse_protection(json::array({{{"scheme", "qbound"}, {"factor", chosen}}}), "test"), x, {}, basic);
    QVERIFY(same(run(same_bound, x), run(kept, x)));
    // Any loss allowed: the smallest factor tried.
    optimize(100.0 - 1e-9, loose);
    QVERIFY(std::abs(loose[0]["chosen_factor"].get<double>() - 0.05) < 1e-9);
    // Without labels the search cannot measure accuracy.
    try {
      json d;
      apply_protection(base, parse_protection(json::array({{{"scheme", "qbound"}, {"mode", "optimized"}}}), "test"), x,
                       torch::Tensor(), d);
      QFAIL("no error without labels");
    } catch (const ConfigError& e) {
      QVERIFY(std::string(e.what()).find("labels") != std::string::npos);
    }
  }

  void subnetworks_bypass_and_average_gradients() {
    seed_everything(5);
    ModelConfig c;
    c.name = "resnet20";
    c.width = 0.25;
    Network net = build_network(c, {1, 28, 28}, 10);
    net->eval();
    torch::Tensor x = images(8, 17);
    const int block = net->stage_index("block1_1");
    // The bypass scheme removes the stage: the network computes exactly the rest.
    Network sub = protect(net, json::array({{{"scheme", "bypass"}, {"layers", {"block1_1"}}}}), {});
    QCOMPARE(sub->size(), net->size() - 1);
    QVERIFY(sub->stage_index("block1_1") < 0);
    {
      torch::InferenceMode inference;
      QVERIFY(same(run(sub, x), forward_without(net, x, block)));
      QVERIFY(!same(run(sub, x), run(net, x)));
    }
    // A stage that changes the shape cannot be removed.
    for (const char* stage : {"conv0", "block2_0"}) {
      try {
        protect(net, json::array({{{"scheme", "bypass"}, {"layers", {stage}}}}), {});
        QFAIL("no error for a shape-changing stage");
      } catch (const ConfigError& e) {
        QVERIFY(std::string(e.what()).find("cannot be removed") != std::string::npos);
      }
    }
    // Training's loss averages the full and the sub-network's gradients (the paper's rule).
    torch::Tensor y = torch::randint(0, 10, {8}, torch::kLong);
    auto grads = [&](const std::function<torch::Tensor()>& loss) {
      for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();
      loss().backward();
      std::vector<torch::Tensor> g;
      for (auto& p : net->parameters()) g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
      return g;
    };
    auto full = grads([&] { return compute_loss("cross_entropy", net->forward(x), y); });
    auto without = grads([&] { return compute_loss("cross_entropy", forward_without(net, x, block), y); });
    auto both = grads([&] {
      return subnetwork_loss(net, x, y, compute_loss("cross_entropy", net->forward(x), y), {block}, "cross_entropy");
    });
    for (size_t i = 0; i < both.size(); ++i) QVERIFY(torch::allclose(both[i], (full[i] + without[i]) / 2, 1e-5, 1e-7));
  }

  // Each registered scheme is one descriptor: its declared keys are exactly what its reader accepts,
  // and its declared defaults are what a spec without them holds (to_json writes them explicitly).
  void scheme_descriptors_match_their_readers() {
    QCOMPARE(protection_scheme_infos().size(), protection_schemes().size());
    for (const SchemeInfo& info : protection_scheme_infos()) {
      QVERIFY2(!info.title.empty() && !info.summary.empty(), info.name.c_str());
      json base = {{"scheme", info.name}};
      if (info.name == "bypass") base["layers"] = {"conv0"};  // required
      const json defaults = parse_protection(json::array({base}), "test")[0].to_json();
      for (const FieldSchema& f : info.fields) {
        const std::string where = info.name + "." + f.key;
        QVERIFY2(!f.tooltip.empty() && !f.label.empty(), where.c_str());
        // "layers" is read for every scheme by the protection list's reader; a null default depends on
        // another key (the placeholder says how).
        if (f.key == "layers" || f.fallback.is_null()) continue;
        json with = base;
        if (f.applies_when.is_object()) with.update(f.applies_when);
        const json expected = parse_protection(json::array({with}), "test")[0].to_json();
        with[f.key] = f.fallback;
        try {
          parse_protection(json::array({with}), "test");
        } catch (const ValidationError& e) {
          QFAIL((where + ": the declared default is refused: " + e.what()).c_str());
        }
        QVERIFY2(expected.contains(f.key), (where + ": not written by to_json").c_str());
        QVERIFY2(expected[f.key] == f.fallback,
                 (where + ": declared " + f.fallback.dump() + ", reader " + expected[f.key].dump()).c_str());
      }
      // Every key the scheme writes is declared.
      for (const auto& [key, value] : defaults.items()) {
        (void)value;
        if (key == "scheme") continue;
        bool declared = false;
        for (const FieldSchema& f : info.fields) declared = declared || f.key == key;
        QVERIFY2(declared, (info.name + "." + key + ": written but not declared").c_str());
      }
    }
  }

  // The README's scheme table is checked against the descriptors: a row per registered scheme that
  // names each of its keys (clipact refers to ranger's, "same as `ranger`").
  void readme_documents_every_scheme_and_key() {
    const std::string readme = test::read_text(std::string(FAULTSCAPE_SOURCE_DIR) + "/README.md");
    QVERIFY(readme.find("Every scheme accepts `\"layers\"") != std::string::npos);
    for (const SchemeInfo& info : protection_scheme_infos()) {
      const std::string head = "| `" + info.name + "` |";
      const size_t at = readme.find(head);
      QVERIFY2(at != std::string::npos, ("README: no row for scheme " + info.name).c_str());
      std::string row = readme.substr(at, readme.find('\n', at) - at);
      if (row.find("same as `ranger`") != std::string::npos) {
        const size_t r = readme.find("| `ranger` |");
        row += readme.substr(r, readme.find('\n', r) - r);
      }
      for (const FieldSchema& f : info.fields)
        QVERIFY2(f.key == "layers" || row.find("`" + f.key + "`") != std::string::npos,
                 ("README: the " + info.name + " row does not name key " + f.key).c_str());
    }
  }

  void schemes_compose_in_order() {
    Network base = lenet();
    torch::Tensor profile = images(64, 9), x = profile;
    for (const std::string placement : {"layer", "activation"}) {
      const json edac = {{"scheme", "edac"}, {"ratio", 0.25}, {"placement", placement}};
      Network net = protect(base, json::array({edac, {{"scheme", "ranger"}}}), profile);
      // Ranger restricts each layer's corrected output: after its EDAC stage, or after the layer's
      // stage when the EDAC layer sits inside it.
      const std::string checked = placement == "layer" ? "conv1" : "conv1_edac";
      QCOMPARE(net->stage_index("conv1_range"), net->stage_index(checked) + 1);
      // A list applies its schemes one after another: the same network as applying them in two steps;
      // and without faults the function of the unprotected network (the intervals hold every copy).
      Network stepwise =
          protect(protect(base, json::array({edac}), profile), json::array({{{"scheme", "ranger"}}}), profile);
      QCOMPARE(stepwise->size(), net->size());
      QVERIFY(same(run(net, x), run(stepwise, x)));
      QVERIFY(test::close_values(run(net, x), run(base, x)));
    }
  }

  // The paper's placement: the EDAC layer checks the conv / linear output before the activation.
  void edac_checks_the_layer_output_before_the_activation() {
    Network base = lenet();
    torch::Tensor profile = images(64, 7), x = profile;
    Network net = protect(base, json::array({{{"scheme", "edac"}, {"ratio", 0.5}, {"layers", {"fc0"}}}}), profile);
    QVERIFY(net->stage_index("fc0_edac") < 0);
    const int fc0 = net->stage_index("fc0");
    torch::nn::Sequential stage = net->stage(fc0).module;
    auto* edac = stage->begin()[1].ptr()->as<EdacImpl>();
    QVERIFY(edac);
    QVERIFY(stage->begin()[2].ptr()->as<torch::nn::ReLU>());  // the activation after it
    // Its intervals are the raw layer's: below zero, where the activation's output never is.
    QVERIFY(edac->named_buffers()["lower"].min().item<float>() < 0);
    const torch::Tensor golden = run(net, x);
    QVERIFY(test::close_values(golden, run(base, x)));
    torch::Tensor w = stage->begin()[0].ptr()->named_parameters()["linear.weight"];
    QCOMPARE(w.size(0), int64_t{180});
    const torch::Tensor dup = edac->named_buffers()["duplicated"];
    int64_t plain = 0;
    while ((dup == plain).any().item<bool>()) ++plain;
    torch::NoGradGuard no_grad;
    torch::Tensor saved = w.clone();
    // The original copy of a duplicated channel goes wild: its duplicate is used.
    w[dup[0].item<int64_t>()].fill_(-1e20f);
    QVERIFY(test::close_values(run(net, x), golden));
    w.copy_(saved);
    // A plain channel far above its interval (which the activation alone would pass) is zeroed.
    w[plain].fill_(1e20f);
    torch::InferenceMode inference;
    torch::Tensor in = net->forward_range(x, 0, fc0);
    torch::Tensor checked = edac->forward(stage->begin()[0].forward<torch::Tensor>(in));
    QVERIFY(checked.select(1, plain).eq(0).all().item<bool>());
    QVERIFY(net->forward_range(in, fc0, fc0 + 1).select(1, plain).eq(0).all().item<bool>());
    w.copy_(saved);
  }

  // EDAC duplicates the channels that eq. 1 ranks highest: the same vulnerability pruning uses.
  void edac_ranks_channels_by_the_pruning_vulnerability() {
    Network base = lenet();
    torch::Tensor profile = images(96, 13);
    Network net = protect(base, json::array({{{"scheme", "edac"}, {"ratio", 0.25}, {"layers", {"conv1"}}}}), profile);
    auto* edac = net->stage(net->stage_index("conv1")).module->begin()[1].ptr()->as<EdacImpl>();
    QVERIFY(edac);
    const torch::Tensor chosen = edac->named_buffers()["duplicated"];
    Dataset d;
    d.images = profile;
    d.labels = torch::zeros({profile.size(0)}, torch::kLong);  // unused: eq. 1 needs no labels
    const std::vector<double> score = channel_vulnerability(base, d, 0, 250, {"conv1"}).front().score;
    std::vector<int64_t> order(score.size());
    for (size_t c = 0; c < order.size(); ++c) order[c] = static_cast<int64_t>(c);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return score[a] > score[b]; });
    QVERIFY(score[order.front()] > score[order.back()]);  // a ranking, not a tie
    std::vector<int64_t> top(order.begin(), order.begin() + chosen.numel());
    std::sort(top.begin(), top.end());
    QCOMPARE(chosen.numel(), int64_t{4});  // 16 channels of conv1, a quarter duplicated
    for (int64_t i = 0; i < chosen.numel(); ++i) QCOMPARE(chosen[i].item<int64_t>(), top[i]);
  }

  void design_space_grid_is_the_cartesian_product() {
    json grid = json::parse(R"([[[], {"scheme": "edac", "ratio": [0.25, 1]}, {"scheme": "tmr"}],
                                [[], [{"scheme": "ranger"}, {"scheme": "abft"}]]])");
    Problems problems;
    std::vector<GridPoint> points = expand_protection_grid(grid, "campaign.protection_grid", problems);
    QVERIFY(problems.empty());
    QCOMPARE(points.size(), size_t{8});  // (1 + 2 + 1) x (1 + 1)
    QCOMPARE(points[0].label, std::string("none"));
    QCOMPARE(points[3].label, std::string("edac(ratio=0.25)+ranger+abft"));
    QCOMPARE(points[3].protection.size(), size_t{3});
    QCOMPARE(points[7].label, std::string("tmr+ranger+abft"));
    Problems bad;
    expand_protection_grid(json::parse(R"([[{"scheme": "edac", "ratio": [0.5, 3]}], []])"), "g", bad);
    QCOMPARE(bad.list().size(), size_t{2});
    QVERIFY(bad.list()[0].find("g[0][0].protection[0].ratio") == 0);
    QVERIFY(bad.list()[1].find("g[1]") == 0);
  }
};

QTEST_GUILESS_MAIN(TestProtect)
#include "test_protect.moc"
