// Fake quantization: exact levels for 1..8 bits, rounding to the nearest level, clamping,
// straight-through gradients (to the input and to a learnable PACT bound), the activation
// quantizer module and the quantized convolution / linear layers.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "runtime/runtime.h"
#include "quant/quant_layers.h"
#include "quant/quantizer.h"

#include <QtTest>

using namespace faultscape;

namespace {

torch::Tensor scalar(double v) { return torch::full({}, v); }

std::vector<float> values(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kFloat).contiguous().view(-1);
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

torch::Tensor tensor(const std::vector<float>& v) { return torch::tensor(v, torch::kFloat); }

// Fake-quantizes in inference mode (the values the hardware computes with).
torch::Tensor fq_nograd(const torch::Tensor& x, int bits, double bound) {
  torch::NoGradGuard no_grad;
  return fake_quantize(x, bits, scalar(bound));
}

// The set of distinct values of a tensor.
std::set<float> distinct(const torch::Tensor& t) {
  auto v = values(t);
  return std::set<float>(v.begin(), v.end());
}

bool subset_of_levels(const torch::Tensor& t, int bits, double bound) {
  auto levels = quant_levels(bits, bound);
  for (float v : values(t)) {
    bool found = false;
    for (double l : levels) found = found || static_cast<float>(l) == v;
    if (!found) {
      qWarning("value %.9g is not a %d-bit level of bound %g", v, bits, bound);
      return false;
    }
  }
  return true;
}

}  // namespace

class TestQuant : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    tune_process();
    set_threads(1);
    torch::manual_seed(11);
  }

  void maxLevel() {
    QCOMPARE(quant_max_level(1), int64_t{1});
    QCOMPARE(quant_max_level(2), int64_t{1});
    QCOMPARE(quant_max_level(3), int64_t{3});
    QCOMPARE(quant_max_level(4), int64_t{7});
    QCOMPARE(quant_max_level(8), int64_t{127});
  }

  void levels() {
    QCOMPARE(quant_levels(1, 1.0), (std::vector<double>{-1.0, 1.0}));
    QCOMPARE(quant_levels(1, 0.5), (std::vector<double>{-0.5, 0.5}));
    QCOMPARE(quant_levels(2, 1.0), (std::vector<double>{-1.0, 0.0, 1.0}));
    QCOMPARE(quant_levels(2, 2.0), (std::vector<double>{-2.0, 0.0, 2.0}));
    auto l3 = quant_levels(3, 1.5);
    QCOMPARE(l3.size(), size_t{7});
    for (int i = 0; i < 7; ++i) QVERIFY(std::abs(l3[i] - 1.5 * (i - 3) / 3.0) < 1e-6);
    auto l4 = quant_levels(4, 1.0);
    QCOMPARE(l4.size(), size_t{15});
    QCOMPARE(l4.front(), -1.0);
    QCOMPARE(l4.back(), 1.0);
    QCOMPARE(l4[7], 0.0);
    QVERIFY(std::abs(l4[8] - 1.0 / 7) < 1e-6);  // float levels, as computed
    auto l8 = quant_levels(8, 1.0);
    QCOMPARE(l8.size(), size_t{255});
    QVERIFY(std::is_sorted(l8.begin(), l8.end()));
    QVERIFY(std::abs(l8[128] - 1.0 / 127) < 1e-6);
  }

  // 1 bit is binary: sign(x) * a, with sign(0) = +1.
  void binarySign() {
    torch::Tensor x = tensor({-3.0f, -0.4f, -1e-6f, 0.0f, 1e-6f, 0.2f, 5.0f});
    QCOMPARE(values(fq_nograd(x, 1, 1.0)), (std::vector<float>{-1, -1, -1, 1, 1, 1, 1}));
    QCOMPARE(values(fq_nograd(x, 1, 0.25)), (std::vector<float>{-0.25f, -0.25f, -0.25f, 0.25f, 0.25f, 0.25f, 0.25f}));
    torch::Tensor r = torch::randn({1000});
    QCOMPARE(distinct(fq_nograd(r, 1, 1.0)), (std::set<float>{-1.0f, 1.0f}));
  }

  // 2 bits with bound 1: {-1, 0, 1}; rounds to the nearest level, clamps outside the bound.
  void twoBits() {
    torch::Tensor x = tensor({-7.0f, -1.0f, -0.8f, -0.51f, -0.49f, 0.0f, 0.3f, 0.49f, 0.51f, 0.99f, 1.0f, 2.5f});
    QCOMPARE(values(fq_nograd(x, 2, 1.0)), (std::vector<float>{-1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 1, 1}));
    // Bound 2: levels {-2, 0, 2}, thresholds at +-1.
    torch::Tensor y = tensor({-3.0f, -1.2f, -0.9f, 0.9f, 1.1f, 9.0f});
    QCOMPARE(values(fq_nograd(y, 2, 2.0)), (std::vector<float>{-2, -2, 0, 0, 2, 2}));
    torch::Tensor r = torch::randn({2000}) * 3;
    QCOMPARE(distinct(fq_nograd(r, 2, 1.0)), (std::set<float>{-1.0f, 0.0f, 1.0f}));
  }

  // 3 bits with bound 1.5: steps of 0.5.
  void threeBits() {
    torch::Tensor x = tensor({-2.0f, -1.3f, -0.74f, -0.2f, 0.26f, 0.6f, 0.76f, 1.24f, 1.26f, 4.0f});
    QCOMPARE(values(fq_nograd(x, 3, 1.5)),
             (std::vector<float>{-1.5f, -1.5f, -0.5f, 0.0f, 0.5f, 0.5f, 1.0f, 1.0f, 1.5f, 1.5f}));
    torch::Tensor r = torch::linspace(-3, 3, 5001);
    QCOMPARE(distinct(fq_nograd(r, 3, 1.5)).size(), size_t{7});
  }

  // 4 bits with bound 7: integer levels -7..7.
  void fourBits() {
    torch::Tensor x = tensor({-9.0f, -6.6f, -0.4f, 0.6f, 2.45f, 3.55f, 6.9f, 7.4f});
    QCOMPARE(values(fq_nograd(x, 4, 7.0)), (std::vector<float>{-7, -7, 0, 1, 2, 4, 7, 7}));
    torch::Tensor r = torch::linspace(-10, 10, 10001);
    QCOMPARE(distinct(fq_nograd(r, 4, 7.0)).size(), size_t{15});
  }

  // 8 bits: 255 levels, every output is the level nearest to the clamped input.
  void eightBits() {
    const double a = 1.0, scale = a / 127;
    torch::Tensor r = torch::randn({20000}) * 0.6;
    torch::Tensor q = fq_nograd(r, 8, a);
    QVERIFY(subset_of_levels(q, 8, a));
    torch::Tensor err = (q - r.clamp(-a, a)).abs();
    QVERIFY(err.max().item<double>() <= scale / 2 + 1e-6);
    QCOMPARE(q.max().item<float>(), 1.0f);  // the clamp reaches the extreme levels
    QCOMPARE(q.min().item<float>(), -1.0f);
    QVERIFY(distinct(q).size() > 200);
    QCOMPARE(fq_nograd(tensor({3.0f / 127}), 8, a).item<float>(), static_cast<float>(3.0 / 127));
  }

  // For every width, outputs are levels and the nearest level (inside the bound) or an extreme level.
  void nearestLevelAllWidths() {
    torch::Tensor r = torch::randn({5000}) * 1.5;
    for (int bits : {1, 2, 3, 4, 5, 6, 7, 8}) {
      for (double a : {0.5, 1.0, 3.0}) {
        torch::Tensor q = fq_nograd(r, bits, a);
        QVERIFY2(subset_of_levels(q, bits, a), qPrintable(QString("bits %1 bound %2").arg(bits).arg(a)));
        QVERIFY(q.abs().max().item<double>() <= a + 1e-6);
        if (bits >= 2) {
          double scale = a / quant_max_level(bits);
          QVERIFY((q - r.clamp(-a, a)).abs().max().item<double>() <= scale / 2 + 1e-5);
        }
      }
    }
  }

  // Training (grad mode) produces the same forward values as inference.
  void gradModeSameValues() {
    torch::Tensor r = torch::randn({3000});
    for (int bits : {1, 2, 3, 4, 8}) {
      torch::Tensor x = r.clone().requires_grad_(true);
      torch::Tensor q = fake_quantize(x, bits, scalar(1.0));
      QVERIFY(q.requires_grad());
      QVERIFY(torch::equal(q.detach(), fq_nograd(r, bits, 1.0)));
    }
  }

  // Straight-through estimator: gradient 1 inside the bound, 0 outside (every width).
  void straightThroughGradient() {
    std::vector<float> xs = {-3.0f, -1.2f, -0.9f, -0.3f, 0.0f, 0.2f, 0.7f, 0.95f, 1.05f, 4.0f};
    std::vector<float> expected = {0, 0, 1, 1, 1, 1, 1, 1, 0, 0};
    for (int bits : {1, 2, 3, 4, 8}) {
      torch::Tensor x = tensor(xs).requires_grad_(true);
      fake_quantize(x, bits, scalar(1.0)).sum().backward();
      QVERIFY(x.grad().defined());
      QCOMPARE(values(x.grad()), expected);
    }
    // The incoming gradient is passed through unchanged inside the bound.
    torch::Tensor x = tensor({0.1f, -0.6f, 2.0f}).requires_grad_(true);
    (fake_quantize(x, 2, scalar(1.0)) * tensor({3.0f, -5.0f, 7.0f})).sum().backward();
    QCOMPARE(values(x.grad()), (std::vector<float>{3.0f, -5.0f, 0.0f}));
  }

  // PACT: a learnable bound gets +1 from every input above it and -1 from every input below -bound.
  void learnableBoundGradient() {
    torch::Tensor x = tensor({2.0f, 3.0f, 1.5f, -0.5f, 0.2f, -4.0f, 0.9f});
    for (int bits : {1, 2, 4}) {
      torch::Tensor bound = scalar(1.0).requires_grad_(true);
      torch::Tensor q = fake_quantize(x, bits, bound);
      q.sum().backward();
      QVERIFY(bound.grad().defined());
      QCOMPARE(bound.grad().item<float>(), 2.0f);  // 3 above, 1 below
    }
    // An optimizer step on the bound moves it: the loss sum(q) wants a smaller bound here.
    torch::Tensor bound = scalar(1.0).requires_grad_(true);
    torch::optim::SGD opt({bound}, torch::optim::SGDOptions(0.1));
    fake_quantize(x, 3, bound).sum().backward();
    opt.step();
    QVERIFY(std::abs(bound.item<double>() - 0.8) < 1e-6);
    // All inputs inside: no gradient to the bound.
    torch::Tensor inside = scalar(1.0).requires_grad_(true);
    fake_quantize(tensor({0.1f, -0.3f}), 4, inside).sum().backward();
    QCOMPARE(inside.grad().item<float>(), 0.0f);
  }

  void quantActModule() {
    QuantAct fixed(2, 1.5, false);
    QCOMPARE(fixed->bits(), 2);
    QCOMPARE(fixed->bound(), 1.5);
    QCOMPARE(fixed->levels(), (std::vector<double>{-1.5, 0.0, 1.5}));
    QVERIFY(fixed->parameters().empty());  // a fixed bound is a buffer: saved, not trained
    QCOMPARE(fixed->buffers().size(), size_t{1});
    torch::Tensor x = tensor({-3.0f, -0.8f, -0.7f, 0.1f, 0.76f, 2.0f});
    QCOMPARE(values(fixed->forward(x)), (std::vector<float>{-1.5f, -1.5f, 0.0f, 0.0f, 1.5f, 1.5f}));

    QuantAct learnable(4, 2.0, true);
    QCOMPARE(learnable->parameters().size(), size_t{1});
    torch::Tensor xr = (torch::randn({500}) * 3).requires_grad_(true);
    torch::Tensor y = learnable->forward(xr);
    QVERIFY(subset_of_levels(y, 4, 2.0));
    y.sum().backward();
    QVERIFY(learnable->parameters()[0].grad().defined());
    const double expect = (xr > 2.0).sum().item<double>() - (xr < -2.0).sum().item<double>();
    QCOMPARE(learnable->parameters()[0].grad().item<double>(), expect);

    QuantAct binary(1, 1.0, false);
    QCOMPARE(distinct(binary->forward(torch::randn({300}))), (std::set<float>{-1.0f, 1.0f}));
  }

  void quantConv2d() {
    for (int bits : {1, 2, 3, 8}) {
      QuantConv2d layer(3, 5, 3, 2, 1, true, WeightQuant{bits, 0.2, false});
      torch::Tensor w = layer->effective_weight();
      QCOMPARE(w.sizes(), layer->conv->weight.sizes());
      QVERIFY(subset_of_levels(w, bits, 0.2));
      QVERIFY(torch::equal(w.detach(), fq_nograd(layer->conv->weight.detach(), bits, 0.2)));
      // The latent float weight is kept as it is.
      QVERIFY(!torch::equal(w.detach(), layer->conv->weight.detach()));

      torch::Tensor x = torch::randn({2, 3, 9, 9});
      torch::Tensor y = layer->forward(x);
      torch::Tensor ref =
          torch::conv2d(x, fq_nograd(layer->conv->weight.detach(), bits, 0.2), layer->conv->bias.detach(), 2, 1);
      QCOMPARE(y.sizes(), (std::vector<int64_t>{2, 5, 5, 5}));
      QVERIFY(torch::allclose(y, ref, 1e-5, 1e-6));
      if (bits <= 3)  // coarse weights change the output visibly
        QVERIFY(!torch::allclose(y, torch::conv2d(x, layer->conv->weight.detach(), layer->conv->bias.detach(), 2, 1),
                                 1e-3, 1e-3));
      QCOMPARE(layer->last_macs, int64_t{5 * 5 * 5 * 3 * 3 * 3});
      // Gradient reaches the latent weight through the straight-through estimator.
      y.sum().backward();
      QVERIFY(layer->conv->weight.grad().defined());
      QVERIFY(layer->conv->weight.grad().abs().sum().item<double>() > 0);
    }
    // 0 bits: float, the weight itself.
    QuantConv2d plain(2, 4, 3, 1, 0, false, WeightQuant{0, 1.0, false});
    QVERIFY(torch::equal(plain->effective_weight(), plain->conv->weight));
    QVERIFY(plain->buffers().empty() && plain->named_parameters().size() == 1);
    torch::Tensor x = torch::randn({1, 2, 6, 6});
    QVERIFY(torch::allclose(plain->forward(x), torch::conv2d(x, plain->conv->weight)));
    // A learnable weight bound is a parameter.
    QuantConv2d pact(2, 4, 3, 1, 0, false, WeightQuant{4, 1.0, true});
    QCOMPARE(pact->named_parameters().size(), size_t{2});
  }

  void quantLinear() {
    for (int bits : {1, 2, 4, 8}) {
      QuantLinear layer(20, 7, true, WeightQuant{bits, 0.1, false});
      torch::Tensor w = layer->effective_weight();
      QVERIFY(subset_of_levels(w, bits, 0.1));
      QVERIFY(torch::equal(w.detach(), fq_nograd(layer->linear->weight.detach(), bits, 0.1)));
      torch::Tensor x = torch::randn({4, 20});
      torch::Tensor y = layer->forward(x);
      torch::Tensor ref =
          torch::linear(x, fq_nograd(layer->linear->weight.detach(), bits, 0.1), layer->linear->bias.detach());
      QCOMPARE(y.sizes(), (std::vector<int64_t>{4, 7}));
      QVERIFY(torch::allclose(y, ref, 1e-5, 1e-6));
      QCOMPARE(layer->last_macs, int64_t{20 * 7});
      {
        torch::NoGradGuard no_grad;  // inference path gives the same result
        QVERIFY(torch::allclose(layer->forward(x), ref, 1e-5, 1e-6));
      }
    }
    QuantLinear plain(5, 3, false, WeightQuant{0, 1.0, false});
    QVERIFY(torch::equal(plain->effective_weight(), plain->linear->weight));
    torch::Tensor x = torch::randn({2, 5});
    QVERIFY(torch::allclose(plain->forward(x), torch::linear(x, plain->linear->weight)));
  }
};

QTEST_APPLESS_MAIN(TestQuant)
#include "test_quant.moc"
