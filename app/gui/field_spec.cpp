#include "field_spec.h"

#include <QObject>

namespace faultscape::gui {
namespace {

using T = FieldSpec::Type;
using nlohmann::json;

QString tr(const char* text) { return QObject::tr(text); }

QStringList bit_choices() {
  QStringList c = {"float"};
  for (int b = 1; b <= 8; ++b) c << QString::number(b);
  return c;
}

}  // namespace

std::vector<FieldSpec> project_fields(const QStringList& devices, const QString& detected) {
  return {
      {"name", tr("Project name"), T::Text, tr("Names the results database <output_dir>/<name>.sqlite"), "default"},
      {"seed", tr("Seed"), T::Seed, tr("Default seed of every experiment's dataset shuffling and training"), 1},
      {"seeds",
       tr("Seeds"),
       T::Json,
       tr("Seed study: a count N trains and measures every experiment with training seeds seed .. seed+N-1, or "
          "a list [1, 5, 9]; results get mean, std and 95 % CI over the seeds. Faults and data stay the same "
          "for every seed"),
       nullptr,
       {},
       0,
       2147483647,
       tr("one run, with the training seed")},
      {"threads",
       tr("Threads"),
       T::Int,
       tr("LibTorch intra-op threads for training and campaigns; 0 = all cores"),
       0,
       {},
       0,
       1024},
      {"device", tr("Device"), T::Choice,
       tr("Where training and campaigns compute: auto = the first CUDA GPU when there is one, else the CPU. ") +
           detected,
       "auto", devices},
      {"deterministic", tr("Deterministic"), T::Bool,
       tr("LibTorch's deterministic algorithms: the same bits run after run on a GPU, at some speed"), false},
      {"output_dir", tr("Output directory"), T::Directory,
       tr("Where the results database and trained models go (relative to the working directory)"), "results"},
      {"presentation", tr("Presentation mode"), T::Bool,
       tr("Larger fonts and thicker lines on every figure and export, for projectors (also View menu, "
          "`--presentation`)"),
       false},
  };
}

std::vector<FieldSpec> dataset_fields(const QStringList& datasets) {
  return {
      {"name", tr("Dataset"), T::Choice, tr("The images the model is trained and tested on"), "fashion-mnist",
       datasets},
      {"path",
       tr("Path"),
       T::Directory,
       tr("Directory of the dataset files; empty = the standard location"),
       "",
       {},
       0,
       2147483647,
       tr("the standard location")},
      {"train_limit", tr("Training images"), T::Int, tr("Use only the first N training images; 0 = all"), 0},
      {"test_limit", tr("Test images"), T::Int, tr("Use only the first N test images; 0 = all"), 0},
      {"normalize", tr("Normalize"), T::Bool, tr("Subtract the training mean and divide by the std per channel"), true},
      {"augment", tr("Augment"), T::Bool, tr("CIFAR: random crop (padding 4) and horizontal flip during training"),
       false},
      {"synthetic/train",
       tr("Synthetic: train size"),
       T::Int,
       tr("Training images of the synthetic toy problem"),
       512,
       {},
       1},
      {"synthetic/test",
       tr("Synthetic: test size"),
       T::Int,
       tr("Test images of the synthetic toy problem"),
       256,
       {},
       1},
      {"synthetic/shape", tr("Synthetic: shape"), T::List,
       tr("Image shape of the synthetic problem: channels, height, width"), json::array({1, 28, 28})},
      {"synthetic/classes", tr("Synthetic: classes"), T::Int, tr("Class count of the synthetic problem"), 10, {}, 2},
      {"synthetic/seed", tr("Synthetic: seed"), T::Seed, tr("Seed of the synthetic patterns and noise"), 1},
  };
}

std::vector<FieldSpec> model_fields(const QStringList& models) {
  return {
      {"name", tr("Architecture"), T::Choice, tr("A model of the zoo, or a TorchScript file"), "lenet5", models},
      {"weight_bits", tr("Weight bits"), T::Choice,
       tr("Weight quantization: float, or 1 (binary, sign) to 8 bits (FAT paper's quantized networks)"), "float",
       bit_choices()},
      {"act_bits", tr("Activation bits"), T::Choice,
       tr("Activation quantization: float (ReLU), or 1 (sign) to 8 bits (quantized hardtanh)"), "float", bit_choices()},
      {"width", tr("Width"), T::Real, tr("Channel multiplier of cnv, vgg, resnet and mlp hidden sizes"), 1.0},
      {"act_clip", tr("Activation clip"), T::Real, tr("Initial clipping bound of the activation quantizers"), 1.0},
      {"learnable_clip", tr("Learnable clip"), T::Bool, tr("PACT-style trainable clipping bound"), false},
      {"file",
       tr("TorchScript file"),
       T::File,
       tr("The .pt file imported when the architecture is torchscript"),
       "",
       {tr("TorchScript modules (*.pt *.pth)"), tr("All files (*)")}},
  };
}

std::vector<FieldSpec> training_fields() {
  return {
      {"epochs",
       tr("Epochs"),
       T::Int,
       tr("Passes over the training images; 0 = use the model as it is (an imported TorchScript network keeps its "
          "own weights, no training run)"),
       5,
       {},
       0,
       2147483647,
       tr("use as is")},
      {"batch_size", tr("Batch size"), T::Int, tr("Training images per optimizer step"), 64, {}, 1},
      {"optimizer", tr("Optimizer"), T::Choice, tr("Adam or SGD with momentum"), "adam", {"adam", "sgd"}},
      {"lr", tr("Learning rate"), T::Real, tr("Initial learning rate (> 0 when training)"), 0.001},
      {"momentum", tr("Momentum"), T::Real, tr("SGD momentum in [0, 1)"), 0.9},
      {"weight_decay", tr("Weight decay"), T::Real, tr("L2 penalty (>= 0)"), 0.0},
      {"lr_halve_every", tr("Halve LR every"), T::Int, tr("Halve the learning rate every N epochs; 0 = never"), 0},
      {"loss",
       tr("Loss"),
       T::Choice,
       tr("Cross-entropy, or squared hinge as used for binarized networks (FAT paper)"),
       "cross_entropy",
       {"cross_entropy", "squared_hinge"}},
      {"seed", tr("Seed"), T::Seed, tr("Initialisation and shuffling seed; defaults to the project seed"), 1},
      {"checkpoint",
       tr("Model file"),
       T::SaveFile,
       tr("Where the trained model is saved; empty = <output_dir>/<project>/<experiment>.pt"),
       "",
       {tr("Faultscape models (*.pt)"), tr("All files (*)")},
       0,
       2147483647,
       tr("<output_dir>/<project>/<experiment>.pt")},
      {"eval_batch_size",
       tr("Eval batch size"),
       T::Int,
       tr("Test images per forward pass when evaluating"),
       1000,
       {},
       1},
  };
}

std::vector<FieldSpec> fault_fields() {
  return {
      {"kind",
       tr("Fault kind"),
       T::Choice,
       tr("bitflip: bits flip at a bit-error rate (hardening paper); stuck_at: activations stuck at a value (FAT "
          "paper); stuck_bits: permanent stuck bits in weight memory; random_value / gaussian_noise: words replaced "
          "by random values / additive noise (our models; the FTT-NAS abstract does not define its faults)"),
       "bitflip",
       {"bitflip", "stuck_at", "stuck_bits", "random_value", "gaussian_noise"}},
      {"target",
       tr("Target"),
       T::Choice,
       tr("Whether the faults hit stored weights or computed activations"),
       "weights",
       {"weights", "activations"}},
      {"granularity",
       tr("Granularity"),
       T::Choice,
       tr("stuck_at: a whole channel, the same pixel in every channel, or one element (FAT paper, eqs. 1-5)"),
       "channel",
       {"channel", "pixel", "element"}},
      {"format", tr("Number format"), T::Text,
       tr("How values are stored when bits flip: auto (intN of a quantized layer, else fp32), fp32, fp16, bf16 or "
          "int1..int16"),
       "auto"},
      {"bit_field",
       tr("Bit field"),
       T::Choice,
       tr("Which bits of a word may flip (hardening paper: exponent bits hurt most)"),
       "all",
       {"all", "sign", "exponent", "mantissa"}},
      {"bits", tr("Bit positions"), T::List, tr("Explicit bit positions 0-31 that may flip (overrides the bit field)"),
       json::array()},
      {"bits_per_word",
       tr("Bits per word"),
       T::Int,
       tr("> 1: the rate is per word and each faulty word gets this many flips"),
       1,
       {},
       1,
       32},
      {"layers", tr("Layers"), T::List, tr("Stage names to inject into; empty = every conv / linear stage"),
       json::array()},
      {"tensors", tr("Weight tensors"), T::List, tr("Weight faults: which tensors of a layer (weight, bias, bn)"),
       json::array({"weight", "bias"})},
      {"fault_checkers", tr("Fault checkers"), T::Bool,
       tr("Weight faults also hit the protection's checker state (EDAC intervals, range bounds, ABFT checksums) and "
          "batch-norm parameters, as the hardening paper injects into CONV, FC, BN and EDAC parameters"),
       false},
      {"int_step", tr("Fixed-point step"), T::Real,
       tr("intN storage of float tensors: 0 = each tensor's own step (max |x| / (2^(N-1) - 1)); > 0 = one fixed-point "
          "step for all, so weights stored scaled by k err k times less (paper 003)"),
       0.0},
      {"stuck_values", tr("Stuck values"), T::List,
       tr("auto: every level of the activation quantizer (FAT paper, Algorithm 1); or a list of numbers"), "auto"},
      {"stuck_one_fraction", tr("Stuck-at-1 share"), T::Real, tr("stuck_bits: the share of stuck bits that read as 1"),
       0.5},
      {"value_range", tr("Random value range"), T::Real,
       tr("random_value: uniform in [-r, r]; 0 = the tensor's largest magnitude"), 0.0},
      {"mapping",
       tr("PE mapping"),
       T::Choice,
       tr("dataflow: a faulty PE computes one channel of one layer; loopback: PE p computes channels p mod P of every "
          "layer (FAT paper)"),
       "dataflow",
       {"dataflow", "loopback"}},
      {"pe_count",
       tr("PE count"),
       T::Int,
       tr("loopback mapping: the number of processing elements P"),
       0,
       {},
       0,
       1 << 20},
      {"samples", tr("Samples per layer"), T::Int,
       tr("Stuck sweep at element granularity: positions drawn per layer; 0 = all"), 0},
  };
}

std::vector<FieldSpec> campaign_fields() {
  return {
      {"kind",
       tr("Campaign"),
       T::Choice,
       tr("golden: fault-free evaluation; stuck_sweep: every stuck value x layer x channel (FAT Algorithm 1); "
          "ber_sweep: Monte Carlo over fault rates (hardening paper)"),
       "golden",
       {"golden", "stuck_sweep", "ber_sweep"}},
      {"bers", tr("Rates"), T::List, tr("ber_sweep: explicit fault rates in [0, 1] (overrides the range below)"),
       json::array()},
      {"ber_from", tr("Rate from"), T::Real, tr("ber_sweep: first rate of a log-spaced range"), 0.0},
      {"ber_to", tr("Rate to"), T::Real, tr("ber_sweep: last rate of a log-spaced range"), 0.0},
      {"ber_points", tr("Rate points"), T::Int, tr("ber_sweep: number of log-spaced rates"), 0, {}, 0, 1000},
      {"trials",
       tr("Trials per rate"),
       T::Int,
       tr("Monte Carlo repetitions per rate (the minimum when adaptive)"),
       10,
       {},
       1,
       1000000},
      {"target_ci", tr("Target CI width"), T::Real,
       tr("Adaptive: stop a rate once its 95 % confidence interval is narrower (accuracy points); 0 = fixed trials"),
       0.0},
      {"max_trials",
       tr("Max trials"),
       T::Int,
       tr("Adaptive cap on trials per rate; 0 = 10 x trials"),
       0,
       {},
       0,
       1000000},
      {"per_layer", tr("Per layer"), T::Bool, tr("Repeat the sweep with faults restricted to one layer at a time"),
       false},
      {"seed", tr("Fault seed"), T::Seed, tr("Trial t draws its faults from (seed, t): any trial can be replayed"), 1},
      {"test_limit", tr("Test images"), T::Int, tr("Evaluate every trial on the first N test images; 0 = all"), 0},
      {"batch_size", tr("Batch size"), T::Int, tr("Images per forward pass"), 1000, {}, 1},
      {"cache_mb", tr("Cache (MB)"), T::Int, tr("Memory for cached fault-free activations (prefix reuse)"), 2048},
      {"fault_batch",
       tr("Fault batch"),
       T::Int,
       tr("Stuck sweep: fault instances stacked per forward pass; 0 = automatic"),
       0,
       {},
       0,
       4096},
      {"protection_grid",
       tr("Protection grid"),
       T::Json,
       tr("Design space: a list of axes, each a list of alternatives (a protection list, or one scheme object whose "
          "list values are swept); every combination is run and Pareto-sorted by accuracy vs hardware cost"),
       json(),
       {},
       0,
       2147483647,
       tr("none, e.g. [[[], {\"scheme\": \"tmr\"}], [[], {\"scheme\": \"ranger\"}]]")},
      {"pareto",
       tr("Pareto objectives"),
       T::Text,
       tr("Objectives of the design-space Pareto front: NAME:max or NAME:min, comma-separated, nested keys with /"),
       json(),
       {},
       0,
       2147483647,
       tr("accuracy/mean:max,overhead/hardware_cost:min")},
  };
}

}  // namespace faultscape::gui
