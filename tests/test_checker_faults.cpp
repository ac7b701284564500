// fault_checkers: with it, the protection's checker state (EDAC intervals, range bounds, ABFT
// checksums) and batch-norm parameters are weight sites, and BER faults hit them at the rate their
// bits imply; without it they are never hit. The project key reads and writes back.
#include <torch/torch.h>

#include <bitset>
#include <cmath>
#include <random>
#include <set>
#include <string>

#include "common/json_reader.h"
#include "faults/fault_model.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "protect/protection_spec.h"
#include "protect/schemes.h"

#include "protect_support.h"

#include <QtTest>

using namespace faultscape;
using nlohmann::json;

namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Checker state: what no unprotected layer has.
bool is_checker_state(const std::string& name) {
  return contains(name, ".lower") || contains(name, ".upper") || contains(name, ".agreement") ||
         contains(name, ".checksum_");
}

bool is_batch_norm(const std::string& name) {
  return contains(name, "running_mean") || contains(name, "running_var") ||
         ((contains(name, ".weight") || contains(name, ".bias")) && !contains(name, "conv.") &&
          !contains(name, "linear."));
}

}  // namespace

class TestCheckerFaults : public QObject {
  Q_OBJECT

 private slots:
  void checker_state_and_batch_norm_are_faulted_at_their_bit_rate() {
    Network base = test::zoo_network("resnet20", 5, 0.25);
    const torch::Tensor profile = test::images(32, 3);
    json details;
    const json schemes = json::parse(R"([{"scheme": "edac", "ratio": 0.5}, {"scheme": "ranger"},
                                         {"scheme": "abft", "layers": ["conv0", "block3_1.conv2"]}])");
    Network net = apply_protection(base, parse_protection(schemes, "test"), profile, torch::Tensor(), details);

    FaultModel plain, with;
    with.fault_checkers = true;
    const std::vector<WeightSite> off = weight_sites(net, plain), on = weight_sites(net, with);
    std::set<std::string> plain_names;
    for (const auto& s : off) {
      plain_names.insert(s.name);
      QVERIFY2(!is_checker_state(s.name) && !contains(s.name, "running_"), s.name.c_str());
    }
    // Every plain site stays; the others are checker state or batch norm, of every kind.
    int64_t checker_bits = 0, bn_bits = 0;
    std::vector<int> kind(on.size(), 0);  // 0 plain, 1 checker, 2 batch norm
    bool outer_edac = false, inner_edac = false, range = false, checksum = false, inner_bn = false;
    for (size_t i = 0; i < on.size(); ++i) {
      const std::string& n = on[i].name;
      if (plain_names.count(n)) continue;
      QVERIFY2(is_checker_state(n) || is_batch_norm(n), n.c_str());
      QCOMPARE(on[i].format.bits, 32);  // fp32 unless a format is forced
      const int64_t bits = on[i].tensor.numel() * 32;
      if (is_checker_state(n)) {
        kind[i] = 1, checker_bits += bits;
      } else {
        kind[i] = 2, bn_bits += bits;
      }
      // EDAC layers sit inside the layers' stages (the paper's placement).
      outer_edac = outer_edac || (n.rfind("conv0.", 0) == 0 && contains(n, ".lower"));
      inner_edac = inner_edac || (n.rfind("block2_0.", 0) == 0 && contains(n, ".conv1.") && contains(n, ".upper"));
      range = range || (contains(n, "_range") && contains(n, ".upper"));
      checksum = checksum || contains(n, "checksum_weight");
      inner_bn = inner_bn || (n.rfind("block3_1.", 0) == 0 && contains(n, "running_var"));
    }
    QVERIFY(outer_edac && inner_edac && range && checksum && inner_bn);
    QVERIFY(checker_bits > 0 && bn_bits > 0);
    for (const auto& s : on)
      if (!plain_names.count(s.name)) QVERIFY(s.tensor.numel() > 0);

    // BER p: the flips that land in checker state and in batch norm over T trials are binomial
    // (bits * T, p); each count must lie within 5 standard deviations of its mean.
    FaultModel f = with;
    const double p = 2e-4;
    const int trials = 300;
    std::mt19937_64 rng(17);
    int64_t hits[3] = {0, 0, 0};
    for (int t = 0; t < trials; ++t) {
      WeightFaultSet set = sample_weight_faults(on, f, p, rng);
      for (const auto& fault : set.faults) hits[kind[fault.site]] += std::bitset<32>(fault.flip).count();
    }
    for (auto [k, bits] : {std::pair{1, checker_bits}, std::pair{2, bn_bits}}) {
      const double mean = static_cast<double>(bits) * trials * p;
      const double sd = std::sqrt(mean * (1 - p));
      const std::string msg = "kind " + std::to_string(k) + ": " + std::to_string(hits[k]) + " flips, expected " +
                              std::to_string(mean) + " +- " + std::to_string(5 * sd);
      QVERIFY2(mean > 100, msg.c_str());  // enough flips for the test to mean something
      QVERIFY2(std::abs(static_cast<double>(hits[k]) - mean) <= 5 * sd, msg.c_str());
    }
    // Without the option no flip ever lands there: they are not sites.
    std::mt19937_64 rng2(17);
    for (int t = 0; t < 20; ++t)
      for (const auto& fault : sample_weight_faults(off, plain, p, rng2).faults)
        QVERIFY(plain_names.count(off[fault.site].name));
  }

  void option_reads_and_writes_back() {
    for (bool value : {true, false}) {
      Problems problems;
      const json j = {{"fault_checkers", value}};
      Reader r(j, "faults", problems);
      FaultModel f;
      read_config(r, f);
      QVERIFY(problems.empty());
      QCOMPARE(f.fault_checkers, value);
      QCOMPARE(to_json(f)["fault_checkers"].get<bool>(), value);
    }
    Problems problems;
    const json bad = {{"fault_checkers", "yes"}};
    Reader r(bad, "faults", problems);
    FaultModel f;
    read_config(r, f);
    QVERIFY(!problems.empty() && problems.list()[0].find("faults.fault_checkers") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestCheckerFaults)
#include "test_checker_faults.moc"
