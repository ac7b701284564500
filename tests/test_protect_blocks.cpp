// Residual networks protected: every scheme reaches the layers inside ResNet blocks (both
// convolutions of the main path and the projection shortcut). A fault there is corrected by TMR,
// ABFT and EDAC; the unprotected network shows it.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "common/error.h"
#include "faults/sites.h"
#include "models/path_block.h"
#include "models/stored_weight.h"
#include "models/zoo.h"
#include "protect/abft.h"
#include "protect/protection_spec.h"
#include "protect/redundancy.h"
#include "protect/schemes.h"
#include "protect/stage_tools.h"
#include "runtime/runtime.h"

#include "protect_support.h"
#include "test_support.h"

#include <QtTest>

using namespace faultscape;
using nlohmann::json;

namespace {

// A narrow ResNet-20: 9 residual blocks, two of them with a projection shortcut.
Network resnet20() { return test::zoo_network("resnet20", 5, 0.25); }

using test::images;
using test::protect;
using test::run;
using test::same;

// The paths of a protected residual block stage.
PathBlockImpl& block_paths(Network& net, const std::string& stage) {
  return *net->stage(net->stage_index(stage)).module->begin()[0].ptr()->as<PathBlockImpl>();
}

// The (first) conv / linear weight of a path's stage, wherever a scheme put the layer.
torch::Tensor layer_weight(const Network& path, const std::string& stage) {
  for (const auto& p : path->stage(path->stage_index(stage)).module->named_parameters())
    if (p.key().find("weight") != std::string::npos && p.value().dim() == 4) return p.value();
  return {};
}

}  // namespace

class TestProtectBlocks : public QObject {
  Q_OBJECT

 private slots:
  // A fault inside a residual block (either convolution of the main path, or the projection
  // shortcut) is corrected by default TMR, ABFT and EDAC; the unprotected network shows it.
  void residual_block_faults_are_corrected() {
    Network base = resnet20();
    torch::Tensor x = images(64, 21);
    const torch::Tensor clean = run(base, x);
    torch::NoGradGuard no_grad;
    // The faults do reach the output unprotected: the tests below can fail.
    int block_layers = 0;
    for (const auto& p : base->named_parameters()) {
      if (p.key().rfind("block2_0.", 0) != 0 || p.value().dim() != 4) continue;
      ++block_layers;
      const float old = p.value().view({-1})[5].item<float>();
      p.value().view({-1})[5] = 1e6f;
      const bool changed = !test::close_values(run(base, x), clean);
      p.value().view({-1})[5] = old;
      QVERIFY2(changed, p.key().c_str());
    }
    QCOMPARE(block_layers, 3);  // conv1, conv2, the shortcut's convolution
    // TMR (default) triplicates each block with a voter after it.
    Network tmr = protect(base, json::array({{{"scheme", "tmr"}}}), {});
    QCOMPARE(tmr->stage(tmr->stage_index("block2_0") + 1).name, std::string("block2_0_vote"));
    const torch::Tensor tmr_golden = run(tmr, x);
    QVERIFY(test::close_values(tmr_golden, clean));
    FaultModel f;
    int replica_sites = 0;
    for (const auto& site : weight_sites(tmr, f)) {
      if (site.name.rfind("block2_0.", 0) != 0 || site.name.find(".r1.") == std::string::npos) continue;
      ++replica_sites;
      torch::Tensor saved = site.tensor.clone();
      site.tensor.fill_(std::nanf(""));
      const bool masked = same(run(tmr, x), tmr_golden);
      site.tensor.copy_(saved);
      QVERIFY2(masked, site.name.c_str());
    }
    QCOMPARE(replica_sites, 3);  // conv1, conv2 and the shortcut's convolution of replica 1
    // ABFT wraps the convolutions inside the blocks and corrects a wrong weight.
    Network abft = protect(base, json::array({{{"scheme", "abft"}}}), {});
    QVERIFY(torch::allclose(run(abft, x), clean, 1e-4, 1e-4));
    for (const char* layer : {"conv1", "conv2", "shortcut"}) {
      PathBlockImpl& b = block_paths(abft, "block2_0");
      Network path = std::string(layer) == "shortcut" ? b.shortcut : b.main;
      QVERIFY(path->stage(path->stage_index(layer)).module->begin()[0].ptr()->as<AbftImpl>());
      torch::Tensor w = layer_weight(path, layer);
      const float old = w.view({-1})[5].item<float>();
      w.view({-1})[5] = 1e6f;
      reset_abft_counts(abft);
      torch::Tensor y = run(abft, x);
      w.view({-1})[5] = old;
      QVERIFY2(torch::allclose(y, clean, 1e-3, 1e-3), layer);
      QVERIFY(abft_counts(abft)["corrected"].get<int64_t>() > 0);
    }
    // EDAC duplicates every channel of the layers inside the blocks: a wild original is replaced
    // by its duplicate (evaluated on the profiled images, inside the intervals).
    Network edac = protect(base, json::array({{{"scheme", "edac"}, {"ratio", 1.0}}}), x);
    const torch::Tensor edac_golden = run(edac, x);
    QVERIFY(test::close_values(edac_golden, clean));
    for (const char* layer : {"conv1", "conv2", "shortcut"}) {
      PathBlockImpl& b = block_paths(edac, "block2_0");
      Network path = std::string(layer) == "shortcut" ? b.shortcut : b.main;
      // The EDAC layer right after the convolution, before its batch norm (the paper's placement).
      torch::nn::Sequential stage = path->stage(path->stage_index(layer)).module;
      QVERIFY(stage->begin()[1].ptr()->as<EdacImpl>() && stage->begin()[2].ptr()->as<torch::nn::BatchNorm2d>());
      torch::Tensor w = layer_weight(path, layer);
      const int64_t channels = w.size(0) / 2;
      torch::Tensor saved = w.clone();
      w[3].fill_(1e20f);
      torch::Tensor y = run(edac, x);
      w.copy_(saved);
      QVERIFY2(test::close_values(y, edac_golden), layer);
      QVERIFY(channels == 8);  // block2_0: 32 * 0.25 channels, each duplicated
    }
  }

  // The other schemes reach the layers inside residual blocks too; "layers" can pick one of them.
  void every_scheme_reaches_inside_residual_blocks() {
    Network base = resnet20();
    torch::Tensor profile = images(64, 23), x = profile;
    const torch::Tensor clean = run(base, x);
    auto first_module = [](const Network& path, const char* stage) {
      return path->stage(path->stage_index(stage)).module->begin()[0].ptr();
    };
    for (const std::string scheme : {"ranger", "clipact"}) {
      Network net = protect(base, json::array({{{"scheme", scheme}}}), profile);
      PathBlockImpl& b = block_paths(net, "block2_0");
      QVERIFY(b.main->stage_index("conv1_range") == 1 && b.main->stage_index("conv2_range") == 3);
      QVERIFY(b.shortcut->stage_index("shortcut_range") == 1);
      QVERIFY(test::same_predictions(run(net, x), clean));
    }
    for (const json& s : {json{{"scheme", "saturate"}}, json{{"scheme", "scale"}, {"factor", 64}}}) {
      Network net = protect(base, json::array({s}), {});
      PathBlockImpl& b = block_paths(net, "block1_1");
      QVERIFY(first_module(b.main, "conv1")->as<StoredWeightImpl>() &&
              first_module(b.main, "conv2")->as<StoredWeightImpl>());
      QVERIFY(torch::allclose(run(net, x), clean, 1e-4, 1e-4));
    }
    // One layer inside one block.
    Network one = protect(base, json::array({{{"scheme", "abft"}, {"layers", {"block3_0.shortcut"}}}}), {});
    QVERIFY(first_module(block_paths(one, "block3_0").shortcut, "shortcut")->as<AbftImpl>());
    QVERIFY(!first_module(block_paths(one, "block3_0").main, "conv1")->as<AbftImpl>());
    QVERIFY(!one->stage(one->stage_index("block2_0")).module->begin()[0].ptr()->as<PathBlockImpl>());  // as it was
    QVERIFY(!one->stage(one->stage_index("conv0")).module->begin()[0].ptr()->as<AbftImpl>());
    try {
      protect(base, json::array({{{"scheme", "edac"}, {"layers", {"block3_0.conv9"}}}}), profile);
      QFAIL("no error for an unknown layer inside a block");
    } catch (const ConfigError& e) {
      QVERIFY(std::string(e.what()).find("protection[0].layers: no layer \"block3_0.conv9\"") != std::string::npos);
    }
    // qbound shrinks the quantizers inside the blocks.
    seed_everything(5);
    ModelConfig c;
    c.name = "resnet20";
    c.width = 0.25;
    c.weight_bits = 4;
    c.act_bits = 4;
    Network quantized = build_network(c, {1, 28, 28}, 10);
    quantized->eval();
    json details;
    apply_protection(quantized, parse_protection(json::array({{{"scheme", "qbound"}, {"factor", 0.5}}}), "test"), {},
                     {}, details);
    const auto& done = details[0]["layers"];
    QVERIFY(std::find(done.begin(), done.end(), "block2_0") != done.end());
  }

  // Selective replication ranks the channels inside blocks with the others (stuck at the values of
  // the stage, on the whole network's predictions) and triplicates the chosen ones in the path.
  void replicate_reaches_inside_residual_blocks() {
    Network base = resnet20();
    torch::Tensor profile = images(48, 29), x = profile;
    json all;
    apply_protection(base, parse_protection(json::array({{{"scheme", "replicate"}, {"k", 0}}}), "test"), profile, {},
                     all);
    std::vector<std::string> ranked;
    for (const auto& r : all[0]["ranking"]) ranked.push_back(r["layer"].get<std::string>());
    for (const char* layer : {"conv0", "block1_0.conv1", "block2_0.conv2", "block3_0.shortcut", "fc"})
      QVERIFY2(std::find(ranked.begin(), ranked.end(), layer) != ranked.end(), layer);
    json details;
    Network net = apply_protection(
        base,
        parse_protection(json::array({{{"scheme", "replicate"}, {"k", 2}, {"layers", {"block2_0.conv1"}}}}), "test"),
        profile, {}, details);
    const json& d = details[0];
    QCOMPARE(d["layers"][0]["layer"].get<std::string>(), std::string("block2_0.conv1"));
    std::vector<double> impact = d["ranking"][0]["impact"].get<std::vector<double>>();
    std::vector<int64_t> tripled = d["layers"][0]["triplicated"].get<std::vector<int64_t>>();
    QCOMPARE(tripled.size(), size_t{2});
    double min_chosen = 1e9, max_other = -1;
    for (size_t c = 0; c < impact.size(); ++c)
      if (std::count(tripled.begin(), tripled.end(), static_cast<int64_t>(c)))
        min_chosen = std::min(min_chosen, impact[c]);
      else
        max_other = std::max(max_other, impact[c]);
    QVERIFY(min_chosen >= max_other);
    const torch::Tensor golden = run(net, x);
    QVERIFY(test::close_values(golden, run(base, x)));
    // A stuck original copy of a triplicated channel is outvoted; a stuck plain channel is not.
    PathBlockImpl& b = block_paths(net, "block2_0");
    QCOMPARE(b.main->stage(1).name, std::string("conv1_vote"));
    const int block = net->stage_index("block2_0");
    torch::InferenceMode inference;
    const torch::Tensor in = net->forward_range(x, 0, block);
    const torch::Tensor site = b.main->forward_range(in, 0, 1), other = b.shortcut->forward(in);
    auto output = [&](const torch::Tensor& faulty) {
      torch::Tensor y = b.act->forward(b.main->forward_range(faulty, 1, b.main->size()) + other);
      return net->forward_range(y, block + 1, net->size());
    };
    QVERIFY(test::close_values(output(site), golden));
    for (float stuck : {0.0f, 1e6f}) {
      torch::Tensor faulty = site.clone();
      faulty.select(1, tripled[0]).fill_(stuck);
      QVERIFY(test::close_values(output(faulty), golden));
    }
    int64_t plain = 0;
    while (std::count(tripled.begin(), tripled.end(), plain)) ++plain;
    torch::Tensor faulty = site.clone();
    faulty.select(1, plain).fill_(1e6f);
    QVERIFY(!test::close_values(output(faulty), golden));
  }
};

QTEST_GUILESS_MAIN(TestProtectBlocks)
#include "test_protect_blocks.moc"
