// Weight scaling (paper 003) under integer storage, on a hand-made classifier: in a fixed-point
// word (faults.int_step) a flipped bit is worth 2^bit * step whatever is stored, so weights stored
// multiplied by k read back k times less wrong and the faulty accuracy recovers; with each tensor's
// own step (int_step 0) the step grows with k and the factor cancels.
#include <torch/torch.h>

#include <cmath>
#include <string>

#include "common/json_reader.h"
#include "faults/fault_model.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "models/network.h"
#include "models/stored_weight.h"
#include "protect/protection_spec.h"
#include "protect/schemes.h"
#include "quant/quant_layers.h"

#include <QtTest>

using namespace faultscape;
using nlohmann::json;

namespace {

// Two classes, logits = W x with W = 0.1 I: x = (1, 0.5) is class 0, (0.5, 1) class 1.
Network classifier() {
  Network net(ModelConfig{}, std::vector<int64_t>{2}, 2);
  QuantLinear fc(2, 2, false, WeightQuant{});
  {
    torch::NoGradGuard no_grad;
    fc->linear->weight.copy_(torch::eye(2) * 0.1);
  }
  net->add_stage("fc", "linear", torch::nn::Sequential(fc));
  net->eval();
  return net;
}

const torch::Tensor& inputs() {
  static const torch::Tensor x = torch::tensor({1.0f, 0.5f, 0.5f, 1.0f}).view({2, 2});
  return x;
}

// Accuracy (%) with bit `bit` of stored weight W[1][0] (0 when stored) flipped.
double faulty_accuracy(Network& net, const FaultModel& f, int bit) {
  std::vector<WeightSite> sites = weight_sites(net, f);
  int site = -1;
  for (size_t i = 0; i < sites.size(); ++i)
    if (sites[i].name.find("weight") != std::string::npos) site = static_cast<int>(i);
  if (site < 0) return -1;
  WeightFaultSet set;
  set.faults.push_back({site, 2, 1u << bit});
  WeightUndoLog log;
  log.apply(sites, set);
  torch::Tensor predicted;
  {
    torch::InferenceMode inference;
    predicted = net->forward(inputs()).argmax(1);
  }
  log.undo(sites);
  return 50.0 * predicted.eq(torch::tensor({0, 1}, torch::kLong)).sum().item<double>();
}

Network scaled(const Network& net, double k) {
  json details;
  return apply_protection(net, parse_protection(json::array({{{"scheme", "scale"}, {"factor", k}}}), "test"),
                          torch::Tensor(), torch::Tensor(), details);
}

}  // namespace

class TestWeightScaling : public QObject {
  Q_OBJECT

 private slots:
  void scaling_shrinks_fixed_point_flips() {
    Network plain = classifier();
    Network times64 = scaled(plain, 64);
    FaultModel f;
    f.format = "int8";
    f.int_step = 1.0 / 32;                          // Q2.5: bit 6 is worth 2.0
    QCOMPARE(faulty_accuracy(plain, f, 0), 100.0);  // one step: no harm
    // Unprotected, W[1][0] reads 2.0: class 0 images go to class 1.
    QCOMPARE(faulty_accuracy(plain, f, 6), 50.0);
    // Stored times 64, it reads 2.0 / 64 = 0.03125: 0.03125 + 0.05 < 0.1, every image right.
    QCOMPARE(faulty_accuracy(times64, f, 6), 100.0);
    {
      std::vector<WeightSite> sites = weight_sites(times64, f);
      WeightFaultSet set;
      set.faults.push_back({0, 2, 1u << 6});
      WeightUndoLog log;
      log.apply(sites, set);
      auto* sw = times64->stage(0).module->begin()[0].ptr()->as<StoredWeightImpl>();
      QVERIFY(sw);
      QCOMPARE(sw->decoded_weight()[1][0].item<float>(), 2.0f / 64);
      log.undo(sites);
    }
    // A small factor helps less: 2.0 / 4 = 0.5 still outweighs 0.1 - 0.05.
    Network times4 = scaled(plain, 4);
    QCOMPARE(faulty_accuracy(times4, f, 6), 50.0);
    // With each tensor's own step the factor cancels: the same flip reads 64 * max|w| / 127 either way.
    f.int_step = 0;
    QCOMPARE(faulty_accuracy(plain, f, 6), 50.0);
    QCOMPARE(faulty_accuracy(times64, f, 6), 50.0);
  }

  void int_step_reads_and_names_the_field() {
    Problems problems;
    const json good = {{"format", "int8"}, {"int_step", 0.03125}};
    Reader r(good, "faults", problems);
    FaultModel f;
    read_config(r, f);
    QVERIFY(problems.empty());
    QCOMPARE(f.int_step, 0.03125);
    QCOMPARE(to_json(f)["int_step"].get<double>(), 0.03125);
    Problems bad_problems;
    const json bad = {{"int_step", -1}};
    Reader rb(bad, "faults", bad_problems);
    FaultModel g;
    read_config(rb, g);
    QVERIFY(!bad_problems.empty() && bad_problems.list()[0].find("faults.int_step") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestWeightScaling)
#include "test_weight_scaling.moc"
