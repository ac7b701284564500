// Fault models, bit for bit: number formats and their flips, allowed-bit masks, stuck-at
// activations at each granularity, sampled weight faults and their exact undo, activation fault sets.
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "faults/activation_faults.h"
#include "faults/fault_model.h"
#include "faults/number_format.h"
#include "faults/sites.h"
#include "faults/weight_faults.h"
#include "common/json_reader.h"
#include "models/zoo.h"

#include <QtTest>

using namespace faultscape;

namespace {

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Bitwise equality of two float tensors (NaN payloads and -0 included).
bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && std::memcmp(a.contiguous().data_ptr<float>(), b.contiguous().data_ptr<float>(),
                                               a.numel() * sizeof(float)) == 0;
}

FaultModel weight_model(const std::string& kind, const std::string& format) {
  FaultModel f;
  f.kind = kind;
  f.target = "weights";
  f.format = format;
  f.tensors = {"weight", "bias"};
  return f;
}

}  // namespace

class TestFaults : public QObject {
  Q_OBJECT

 private slots:
  void fp32Flips() {
    NumberFormat fp32 = NumberFormat::parse("fp32");
    // Bit 30 is the top exponent bit: 1.0f = 0x3f800000 becomes 0x7f800000 = +inf.
    float f = fp32.flip(1.0f, 1u << 30, 1.0);
    QVERIFY(std::isinf(f) && f > 0);
    QCOMPARE(fp32.flip(1.0f, 1u << 31, 1.0), -1.0f);
    QCOMPARE(bits_of(fp32.flip(1.0f, 1u, 1.0)), 0x3f800001u);  // lowest mantissa bit
    QCOMPARE(fp32.exponent_mask(), 0x7f800000u);
    QCOMPARE(fp32.mantissa_mask(), 0x007fffffu);
    QCOMPARE(fp32.sign_mask(), 0x80000000u);
    // Flipping twice restores the value exactly.
    QCOMPARE(bits_of(fp32.flip(fp32.flip(0.1234f, 0x00400100u, 1.0), 0x00400100u, 1.0)), bits_of(0.1234f));
  }

  void halfFormats() {
    NumberFormat fp16 = NumberFormat::parse("fp16"), bf16 = NumberFormat::parse("bf16");
    QCOMPARE(fp16.word_mask(), 0xffffu);
    QCOMPARE(fp16.encode(1.0f, 1.0), 0x3c00u);
    QCOMPARE(fp16.flip(1.0f, 1u << 15, 1.0), -1.0f);
    QVERIFY(std::isinf(fp16.flip(1.0f, 1u << 14, 1.0)));  // 0x7c00 = +inf in binary16
    QCOMPARE(fp16.flip(1.0f, 1u << 9, 1.0), 1.5f);        // top mantissa bit
    QCOMPARE(bf16.encode(1.0f, 1.0), 0x3f80u);
    QCOMPARE(bf16.flip(1.0f, 1u << 6, 1.0), 1.5f);
    QVERIFY(std::isinf(bf16.flip(1.0f, 1u << 14, 1.0)));
    QCOMPARE(bf16.exponent_mask(), 0x7f80u);
  }

  // intN words are two's complement multiples of the layer's scale.
  void intFlipsRespectScale() {
    NumberFormat int8 = NumberFormat::parse("int8");
    const double scale = 0.1;
    QCOMPARE(int8.encode(0.5f, scale), 5u);
    QCOMPARE(int8.flip(0.5f, 1u << 1, scale), static_cast<float>(7 * scale));     // 5 -> 7
    QCOMPARE(int8.flip(0.5f, 1u << 7, scale), static_cast<float>(-123 * scale));  // sign bit: 5 - 128
    QCOMPARE(int8.encode(-0.3f, scale), static_cast<uint32_t>(0xfd));             // -3
    QCOMPARE(int8.flip(-0.3f, 1u << 7, scale), static_cast<float>(125 * scale));
    NumberFormat int4 = NumberFormat::parse("int4");
    QCOMPARE(int4.word_mask(), 0xfu);
    QCOMPARE(int4.flip(0.25f, 1u << 3, 0.25), static_cast<float>(-7 * 0.25));  // 1 -> 1 - 8
    // Binary: bit 1 = +scale, bit 0 = -scale.
    NumberFormat int1 = NumberFormat::parse("int1");
    QCOMPARE(int1.flip(0.7f, 1u, 0.7), -0.7f);
    QCOMPARE(int1.flip(-0.7f, 1u, 0.7), 0.7f);
    // Stuck-at bits force a word.
    QCOMPARE(int8.force(0.5f, 1u << 4, 0, scale), static_cast<float>(21 * scale));  // 5 | 16
    QCOMPARE(int8.force(0.5f, 0, 1u << 0, scale), static_cast<float>(4 * scale));
    QVERIFY_EXCEPTION_THROWN(NumberFormat::parse("int33"), std::exception);
    QVERIFY(!NumberFormat::valid("fp33"));
  }

  void allowedBitMasks() {
    FaultModel f = weight_model("bitflip", "fp32");
    QCOMPARE(allowed_bits(f, NumberFormat::parse("fp32")), 0xffffffffu);
    f.bit_field = "exponent";
    QCOMPARE(allowed_bits(f, NumberFormat::parse("fp32")), 0x7f800000u);
    f.bit_field = "all";
    f.bits = {30};
    QCOMPARE(allowed_bits(f, NumberFormat::parse("fp32")), 1u << 30);
    f.bits = {};
    QCOMPARE(allowed_bits(f, NumberFormat::parse("int8")), 0xffu);
  }

  // A stuck channel sets exactly that channel of every image and nothing else.
  void stuckChannelPixelElement() {
    torch::Tensor x = torch::randn({3, 4, 5, 5});
    torch::Tensor y = x.clone();
    StuckFault channel{0, 2, -1, -1, 0.75};
    channel.apply(y);
    QVERIFY((y.select(1, 2) == 0.75f).all().item<bool>());
    torch::Tensor mask = torch::ones({3, 4, 5, 5}, torch::kBool);
    mask.select(1, 2).fill_(false);
    QVERIFY(torch::equal(y.masked_select(mask), x.masked_select(mask)));

    y = x.clone();
    StuckFault pixel{0, -1, 1, 3, -1.0};
    pixel.apply(y);
    QVERIFY((y.select(2, 1).select(2, 3) == -1.0f).all().item<bool>());  // all images, all channels
    QCOMPARE((y != x).sum().item<int64_t>(),
             (y.select(2, 1).select(2, 3) != x.select(2, 1).select(2, 3)).sum().item<int64_t>());

    y = x.clone();
    StuckFault element{0, 3, 4, 0, 2.0};
    element.apply(y);
    QVERIFY((y.select(1, 3).select(1, 4).select(1, 0) == 2.0f).all().item<bool>());
    QVERIFY((y != x).sum().item<int64_t>() <= 3);

    // Fully connected activations: the "channel" is a feature.
    torch::Tensor fc = torch::randn({5, 6}), fc_faulty = fc.clone();
    StuckFault feature{0, 4, -1, -1, 1.0};
    feature.apply(fc_faulty);
    QVERIFY((fc_faulty.select(1, 4) == 1.0f).all().item<bool>());
    QVERIFY(torch::equal(fc_faulty.narrow(1, 0, 4), fc.narrow(1, 0, 4)));
  }

  // "auto" stuck values: every level of the activation quantizer.
  void autoStuckValues() {
    FaultModel f;
    f.kind = "stuck_at";
    f.target = "activations";
    ModelConfig m;
    m.name = "cnv";
    m.weight_bits = 1;
    m.act_bits = 1;
    m.width = 0.125;
    Network net = build_network(m, {1, 28, 28}, 10);
    auto sites = activation_sites(net, f);
    QVERIFY(!sites.empty());
    QCOMPARE(stuck_values(f, sites[0], 3.0), (std::vector<double>{-1.0, 1.0}));
    m.act_bits = 2;
    Network net2 = build_network(m, {1, 28, 28}, 10);
    auto sites2 = activation_sites(net2, f);
    QCOMPARE(stuck_values(f, sites2[0], 3.0), (std::vector<double>{-1.0, 0.0, 1.0}));
    // Float activations: stuck at zero and at the largest golden value.
    ModelConfig fl;
    fl.name = "lenet5";
    Network net3 = build_network(fl, {1, 28, 28}, 10);
    auto sites3 = activation_sites(net3, f);
    QCOMPARE(stuck_values(f, sites3[0], 3.0), (std::vector<double>{0.0, 3.0}));
    f.stuck_values = nlohmann::json::array({0.5});
    QCOMPARE(stuck_values(f, sites3[0], 3.0), (std::vector<double>{0.5}));
  }

  // Sampled weight faults change the stored tensors; the undo log restores them bit for bit.
  void undoRestoresBitForBit() {
    ModelConfig m;
    m.name = "lenet5";
    Network net = build_network(m, {1, 28, 28}, 10);
    for (const char* kind : {"bitflip", "stuck_bits", "random_value", "gaussian_noise"}) {
      FaultModel f = weight_model(kind, "fp32");
      f.value_range = 2.0;
      auto sites = weight_sites(net, f);
      QVERIFY(sites.size() >= 8);  // weight and bias of 4+ layers
      std::vector<torch::Tensor> before;
      for (auto& s : sites) before.push_back(s.tensor.clone());
      std::mt19937_64 rng(7);
      WeightFaultSet set = sample_weight_faults(sites, f, 1e-3, rng);
      WeightUndoLog log;
      log.apply(sites, set);
      int changed = 0;
      for (size_t i = 0; i < sites.size(); ++i) changed += !same_bits(sites[i].tensor, before[i]);
      QVERIFY2(changed > 0, kind);
      log.undo(sites);
      for (size_t i = 0; i < sites.size(); ++i) QVERIFY2(same_bits(sites[i].tensor, before[i]), kind);
    }
  }

  // Bit flips at a rate: the count follows the rate over all allowed bits, and each faulty word
  // differs from its old value in exactly the flipped bits.
  void bitflipCountAndPositions() {
    torch::Tensor w = torch::randn({100000});
    std::vector<WeightSite> sites{{0, "w", w, NumberFormat::parse("fp32"), 1.0}};
    FaultModel f = weight_model("bitflip", "fp32");
    std::mt19937_64 rng(3);
    WeightFaultSet set = sample_weight_faults(sites, f, 1e-4, rng);
    // Expected 3.2e6 bits x 1e-4 = 320 flips; 5 sigma is about 90.
    QVERIFY2(std::abs(set.bit_flips() - 320) < 90, qPrintable(QString::number(set.bit_flips())));
    torch::Tensor old = w.clone();
    WeightUndoLog log;
    log.apply(sites, set);
    // Raw words (item<float>() goes through double, which would quiet a signalling NaN).
    const float* now = w.data_ptr<float>();
    const float* was = old.data_ptr<float>();
    for (const WeightFault& fault : set.faults)
      QCOMPARE(bits_of(now[fault.index]) ^ bits_of(was[fault.index]), fault.flip);
    // Exponent-only flips touch nothing else.
    log.undo(sites);
    f.bit_field = "exponent";
    WeightFaultSet exp = sample_weight_faults(sites, f, 1e-3, rng);
    QVERIFY(!exp.faults.empty());
    for (const WeightFault& fault : exp.faults) QCOMPARE(fault.flip & ~0x7f800000u, 0u);
    // The same generator state gives the same faults.
    std::mt19937_64 a(11), b(11);
    WeightFaultSet sa = sample_weight_faults(sites, f, 1e-3, a), sb = sample_weight_faults(sites, f, 1e-3, b);
    QCOMPARE(sa.faults.size(), sb.faults.size());
    for (size_t i = 0; i < sa.faults.size(); ++i) {
      QCOMPARE(sa.faults[i].index, sb.faults[i].index);
      QCOMPARE(sa.faults[i].flip, sb.faults[i].flip);
    }
  }

  // Quantized layers are stored as intN with the layer's scale: a flipped word decodes to a level.
  void intWeightSitesUseLayerScale() {
    ModelConfig m;
    m.name = "cnv";
    m.weight_bits = 2;
    m.act_bits = 2;
    m.width = 0.125;
    Network net = build_network(m, {1, 28, 28}, 10);
    FaultModel f = weight_model("bitflip", "auto");
    f.tensors = {"weight"};
    auto sites = weight_sites(net, f);
    QVERIFY(!sites.empty());
    for (const auto& s : sites) {
      QCOMPARE(s.format.kind, NumberFormat::Kind::Int);
      QCOMPARE(s.format.bits, 2);
      QVERIFY(s.scale > 0);
    }
    const WeightSite& s = sites[0];
    const float level = static_cast<float>(s.scale);                                     // q = 1
    QCOMPARE(s.format.flip(level, 1u << 1, s.scale), static_cast<float>(-1 * s.scale));  // 01 -> 11 = -1
    QCOMPARE(s.format.flip(level, 1u << 0, s.scale), 0.0f);                              // 01 -> 00
  }

  // Transient activation faults are keyed to images, not batches: applying a set batch by batch
  // equals applying it to the whole evaluation set at once.
  void activationFaultsIndependentOfBatching() {
    std::vector<ActivationSite> sites{{1, "s", NumberFormat::parse("fp32"), 1.0, {}}};
    FaultModel f;
    f.kind = "bitflip";
    f.target = "activations";
    std::mt19937_64 rng(5);
    ActivationFaultSet set = sample_activation_faults(sites, {48}, 20, f, 1e-3, rng);
    QVERIFY(set.count() > 0);
    QCOMPARE(set.first_stage(), 1);
    QVERIFY(set.hits(1) && !set.hits(0));
    torch::Tensor x = torch::randn({20, 3, 4, 4});
    torch::Tensor whole = x.clone();
    set.apply(1, whole, 0);
    torch::Tensor a = x.narrow(0, 0, 7).clone(), b = x.narrow(0, 7, 13).clone();
    set.apply(1, a, 0);
    set.apply(1, b, 7);
    QVERIFY(same_bits(torch::cat({a, b}), whole));
    QVERIFY(!same_bits(whole, x));
  }

  void parseErrorsNameTheField() {
    Problems problems;
    nlohmann::json j = {{"kind", "bitflop"}, {"target", "weights"}, {"bits", {40}}};
    Reader r(j, "faults", problems);
    FaultModel f;
    read_config(r, f);
    QString all;
    for (const auto& p : problems.list()) all += QString::fromStdString(p) + "\n";
    QVERIFY2(all.contains("faults.kind") && all.contains("bitflop"), qPrintable(all));
    QVERIFY2(all.contains("faults.bits"), qPrintable(all));
  }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "test_faults.moc"
