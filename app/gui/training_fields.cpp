// The optional objects of an experiment's "training" section (core/ftt/fat_json.cpp and
// core/ftt/robust_json.cpp read them): one block per object with its keys, the engine's
// defaults and valid ranges, and the paper each comes from.
#include <QObject>

#include "field_spec.h"

namespace faultscape::gui {
namespace {

using T = FieldSpec::Type;
using nlohmann::json;

QString tr(const char* text) { return QObject::tr(text); }

constexpr double kNoMax = 2147483647;

FieldSpec layers(const QString& tooltip, const QString& all) {
  return {"layers", tr("Layers"), T::List, tooltip, json::array(), {}, 0, kNoMax, all};
}

FieldSpec penalty(const char* fallback, const QString& paper) {
  return {"penalty", tr("Penalty"),
          T::Choice, tr("l1: lambda * sum of the bounds; l2: lambda * sum of their squares (%1)").arg(paper),
          fallback,  {"l1", "l2"}};
}

}  // namespace

std::vector<TrainingSection> training_sections() {
  const QString fat = tr("FAT paper, Zahid et al.");
  const QString lt = tr("note 000, learned output filter");
  const QString qb = tr("note 000, quantization bound");
  const QString ftt = tr("FTT-NAS, paper 004");
  return {
      {"fault_aware",
       tr("Fault-aware training (FAT)"),
       tr("Trains with error-injection layers so that stuck-at faults are part of training (%1)").arg(fat),
       {{"method", 1}},
       {{"method",
         tr("Method"),
         T::Choice,
         tr("1: every injection layer active in every epoch; 2: one randomly chosen layer per epoch (%1, Algorithm 2)")
             .arg(fat),
         json(0),
         {"1", "2"}},
        {"p", tr("Injection probability"), T::Real,
         tr("Probability in [0, 1] that a channel / pixel / element is stuck in a batch, split over the stuck values "
            "(%1, eq. 2)")
             .arg(fat),
         0.1},
        {"p_end", tr("Final probability"), T::Real,
         tr("Schedule: p moves linearly from p (first epoch) to this value (last epoch); -1 = p stays fixed, as in the "
            "%1")
             .arg(fat),
         -1.0},
        {"granularity",
         tr("Granularity"),
         T::Choice,
         tr("What one injected fault covers: a whole channel (%1, eq. 4), the same pixel of every channel (eq. 5), or "
            "one element")
             .arg(fat),
         "channel",
         {"channel", "pixel", "element"}},
        {"stuck_values", tr("Stuck values"), T::List,
         tr("auto: every level of the stage's activation quantizer (%1); or a list of numbers").arg(fat), "auto"},
        layers(tr("Stages followed by an error-injection layer during training (%1, Fig. 2)").arg(fat),
               tr("every activation and pooling stage but the logits"))}},
      {"dropout",
       tr("Dropout during training"),
       tr("Dropout or Dropout2D at the fault-aware-training positions: the %1 comparison").arg(fat),
       {{"kind", "dropout"}},
       {{"kind",
         tr("Kind"),
         T::Choice,
         tr("dropout zeroes single elements, dropout2d whole feature maps (%1, Dropout2D comparison)").arg(fat),
         "none",
         {"dropout", "dropout2d"}},
        {"p", tr("Probability"), T::Real, tr("Drop probability during training, in [0, 1) (%1 comparison)").arg(fat),
         0.1},
        layers(tr("Stages followed by a dropout layer during training (%1 comparison)").arg(fat),
               tr("the stages fault-aware training would use"))}},
      {"learned_threshold",
       tr("Learned thresholds"),
       tr("A ReLU gate whose threshold is learned during training zeroes activations above it; the gates stay in the "
          "network as its protection (%1; FitAct)")
           .arg(lt),
       json::object(),
       {{"granularity",
         tr("Granularity"),
         T::Choice,
         tr("One threshold per stage, or one per output channel (%1)").arg(lt),
         "layer",
         {"layer", "channel"}},
        {"lambda", tr("Lambda"), T::Real,
         tr("Weight (>= 0) of the regulariser pulling the thresholds down (%1)").arg(lt), 1e-3},
        penalty("l1", lt),
        {"init_percentile", tr("Initial percentile"), T::Real,
         tr("Thresholds start at this percentile, in (0, 100], of the profiled activations (%1)").arg(lt), 99.9},
        {"profile_images",
         tr("Profile images"),
         T::Int,
         tr("Training images run to profile the activations (%1)").arg(lt),
         1000,
         {},
         1},
        layers(tr("Stages ending in a ReLU that get a learned threshold (%1)").arg(lt),
               tr("every ReLU stage but the logits")),
        {"epochs", tr("Last epochs"), T::Int,
         tr("Thresholds are fitted in the last N epochs, after plain training; 0 = all epochs (%1)").arg(lt), 1},
        {"sharpness", tr("Sharpness"), T::Real,
         tr("k*T of the smooth gate whose derivative trains the threshold T, > 0 (%1)").arg(lt), 10.0}}},
      {"quant_bound",
       tr("Quantization-bound training"),
       tr("A regulariser on the learnable clipping bounds (model: learnable clip) shrinks the quantization ranges "
          "while the task loss keeps the accuracy (%1; PACT)")
           .arg(qb),
       json::object(),
       {{"lambda", tr("Lambda"), T::Real, tr("Weight (>= 0) of the bound regulariser (%1)").arg(qb), 1e-3},
        penalty("l2", qb),
        {"weights", tr("Weight bounds too"), T::Bool,
         tr("Also regularise the learnable weight bounds of quantized weights, not only the activations (%1)").arg(qb),
         true},
        {"min_bound", tr("Minimum bound"), T::Real,
         tr("Bounds are kept >= this (> 0) after every step: a zero range has no levels (%1)").arg(qb), 1e-3}}},
      {"bitflip_training",
       tr("Bit-flip training"),
       tr("Every training step flips stored weight bits, runs forward and backward on the faulty weights and restores "
          "the clean ones before the update (FTT-NAS, paper 004)"),
       json::object(),
       {{"ber", tr("Bit-error rate"), T::Real, tr("Flip probability per stored bit, in (0, 0.5] (FTT-NAS, paper 004)"),
         1e-5},
        {"format", tr("Number format"), T::Text,
         tr("How weights are stored: auto (intN of a quantized layer, else fp32), fp32, fp16, bf16 or int1..int16 "
            "(%1)")
             .arg(ftt),
         "auto"},
        {"bit_field",
         tr("Bit field"),
         T::Choice,
         tr("Which bits of a word may flip (%1)").arg(ftt),
         "all",
         {"all", "sign", "exponent", "mantissa"}},
        layers(tr("Stages whose weights are faulted during training (%1)").arg(ftt), tr("every conv / linear stage")),
        {"tensors", tr("Weight tensors"), T::List,
         tr("Which tensors of a layer are faulted: weight, bias, bn (%1)").arg(ftt), json::array({"weight", "bias"})},
        {"max_loss", tr("Max faulty loss"), T::Real,
         tr("A step whose faulty loss exceeds this (> 0) or is not finite updates nothing: fp32 exponent flips would "
            "swamp the optimizer (%1)")
             .arg(ftt),
         100.0},
        {"faulty_weight", tr("Faulty-loss weight"), T::Real,
         tr("w in (0, 1]: the step's loss is (1 - w) * clean loss + w * faulty loss on the same batch; 1 = the "
            "faulty loss alone (%1)")
             .arg(ftt),
         0.5}}},
      {"saturating_weights",
       tr("Saturating weights"),
       tr("Trains w = s*tanh(v) (or s*2/pi*atan(v)) with s = factor * max|w|, so the weights suit the saturate "
          "protection scheme (saturating-function abstract, paper 003)"),
       json::object(),
       {{"function",
         tr("Function"),
         T::Choice,
         tr("The saturating function of the trained parameters (paper 003)"),
         "tanh",
         {"tanh", "atan"}},
        {"factor", tr("Factor"), T::Real, tr("s = factor * max|w| of the initial layer, a number > 1 (paper 003)"),
         1.5},
        layers(tr("Stages trained with saturating weights"), tr("every float conv / linear stage"))}},
      {"subnetwork",
       tr("Sub-networks"),
       tr("Trains the full network and each sub-network with one selected layer left out on the same batches, so a "
          "faulty layer can later be removed with the bypass scheme (sub-network abstract, paper 003)"),
       json::object(),
       {layers(tr("Stages training keeps removable, each keeping its input's shape, e.g. a residual block of resnet20 "
                  "(paper 003)"),
               tr("none: add the removable stages"))}},
  };
}

}  // namespace faultscape::gui
