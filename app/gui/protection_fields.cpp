// The keys of every protection scheme (core/protect/protection_spec.cpp reads them), one block per
// scheme: its menu title, what it does and where it comes from, and its form fields with the
// engine's defaults and valid ranges.
#include <QObject>

#include "field_spec.h"

namespace faultscape::gui {
namespace {

using T = FieldSpec::Type;
using nlohmann::json;

QString tr(const char* text) { return QObject::tr(text); }

struct Scheme {
  QString name, title, tooltip;
  std::vector<FieldSpec> fields;
};

constexpr double kNoMax = 2147483647;

// Every scheme accepts "layers"; `all` says what absence means for this scheme.
FieldSpec layers(const QString& all, const QString& paper) {
  return {"layers", tr("Layers"), T::List, tr("Stage names this scheme protects; empty = %1 (%2)").arg(all, paper),
          json::array(), {}, 0, kNoMax, all};
}

FieldSpec percentile(const QString& paper) {
  return {"percentile", tr("Percentile"), T::Real,
          tr("Bounds at this percentile of the profiled training activations, 50-100 (100 = min / max; %1)").arg(paper),
          100.0};
}

FieldSpec profile_images(const QString& paper) {
  return {"profile_images", tr("Profile images"), T::Int,
          tr("Training images run to profile the bounds (%1)").arg(paper), 2000, {}, 1};
}

const std::vector<Scheme>& schemes() {
  static const std::vector<Scheme> table = [] {
    const QString conv = tr("every conv / linear stage");
    const QString range = tr("every conv / linear stage but the logits");
    const QString edac = tr("hardening paper 002, channel duplication + EDAC layer");
    const QString ranger = tr("Chen et al., Ranger");
    const QString clipact = tr("Hoang et al., FT-ClipAct");
    const QString fat = tr("FAT paper, Zahid et al.");
    const QString tmr = tr("classic TMR; hardening paper 002");
    const QString abft = tr("Huang & Abraham ABFT");
    const QString p003 = tr("paper 003");
    const QString n000 = tr("note 000");
    return std::vector<Scheme>{
        {"tmr", tr("TMR (triplication + voter)"),
         tr("Triple modular redundancy: each layer is computed three times and a voter picks the output (classic TMR; "
            "hardening paper 002, sec. III-C)"),
         {{"vote", tr("Vote"), T::Choice,
           tr("What the voter outputs when all three replicas differ: their median, or the minimum (hardening paper 002)"),
           "median", {"median", "min"}},
          layers(conv, tmr)}},
        {"replicate", tr("Selective replication (FAT)"),
         tr("Triplicates the k channels whose stuck-at faults change the most predictions, with a voter after each "
            "such layer (%1, sec. V-C)").arg(fat),
         {{"k", tr("Channels (k)"), T::Int,
           tr("How many channels, over all selected layers, are triplicated, most critical first; sweep it for the "
              "cost front of %1 Fig. 9").arg(fat),
           0, {}, 0},
          {"stuck_values", tr("Stuck values"), T::List,
           tr("Values of the stuck-at ranking: auto = the activation quantizer's levels (float: 0 and the largest "
              "output); or a list of numbers (%1)").arg(fat),
           "auto"},
          {"profile_images", tr("Ranking images"), T::Int,
           tr("Training images used to measure each channel's stuck-at impact (%1)").arg(fat), 2000, {}, 1},
          layers(conv, fat)}},
        {"edac", tr("EDAC (channel duplication)"),
         tr("Duplicates the most vulnerable output channels and checks them in an EDAC layer with profiled intervals "
            "(%1)").arg(edac),
         {{"ratio", tr("Duplicated share"), T::Real,
           tr("Fraction in [0, 1] of each layer's channels duplicated, most vulnerable first; the last layer is always "
              "duplicated entirely (%1)").arg(edac),
           1.0},
          {"copies", tr("Copies"), T::Choice,
           tr("2: duplication with the EDAC layer; 3: triplication with a voter (%1, Fig. 3)").arg(edac), 2, {"2", "3"}},
          {"intervals", tr("Interval check"), T::Bool,
           tr("Zero non-duplicated values outside their channel's profiled interval; off = plain duplication (%1)")
               .arg(edac),
           true},
          percentile(edac), profile_images(edac), layers(conv, edac)}},
        {"abft", tr("ABFT (checksums)"),
         tr("Algorithm-based fault tolerance: checksum rows computed with each layer locate and correct a single "
            "faulty output (Huang & Abraham)"),
         {{"tolerance", tr("Tolerance"), T::Real,
           tr("Relative tolerance (> 0) of the checksum comparison before a syndrome counts as a fault (Huang & "
              "Abraham ABFT)"),
           1e-4},
          layers(conv, abft)}},
        {"ranger", tr("Ranger (clamp to bounds)"),
         tr("Clamps each layer's output to bounds profiled on training data (%1)").arg(ranger),
         {{"granularity", tr("Granularity"), T::Choice,
           tr("One bound pair per layer, or one per channel (%1)").arg(ranger), "layer", {"layer", "channel"}},
          percentile(ranger), profile_images(ranger), layers(range, ranger)}},
        {"clipact", tr("FT-ClipAct (clip to zero)"),
         tr("Like Ranger, but values outside the profiled bounds become 0 (%1)").arg(clipact),
         {{"granularity", tr("Granularity"), T::Choice,
           tr("One bound pair per layer, or one per channel (%1)").arg(clipact), "layer", {"layer", "channel"}},
          percentile(clipact), profile_images(clipact), layers(range, clipact)}},
        {"saturate", tr("Saturating weights"),
         tr("Weights are stored as v and read as s*tanh(v) (or s*2/pi*atan(v)), so a corrupted stored value stays "
            "within [-s, s] (saturating-function abstract, paper 003)"),
         {{"function", tr("Function"), T::Choice,
           tr("The saturating function applied when a stored weight is read (paper 003)"), "tanh", {"tanh", "atan"}},
          {"factor", tr("Factor"), T::Real,
           tr("s = factor * max|w|, a number > 1: headroom of the saturation (paper 003)"), 1.5},
          layers(conv, p003)}},
        {"scale", tr("Scaled weights"),
         tr("Weights are stored multiplied by a constant and divided after reading, shrinking the effect of a flipped "
            "bit (weight-scaling abstract, paper 003)"),
         {{"factor", tr("Factor"), T::Real, tr("The constant k > 0 the stored weights are multiplied by (paper 003)"),
           64.0},
          layers(conv, p003)}},
        {"qbound", tr("Quantization bound"),
         tr("Shrinks the weight and activation quantization ranges of quantized layers so bit flips produce smaller "
            "errors (note 000, quantization bound)"),
         {{"mode", tr("Mode"), T::Choice,
           tr("basic: shrink by a fixed factor; optimized: the smallest factor whose accuracy stays within the "
              "tolerance (note 000, basic and optimized quantization bound)"),
           "basic", {"basic", "optimized"}},
          {"factor", tr("Shrink factor"), T::Real,
           tr("basic: the bounds are multiplied by this factor in (0, 1]; optimized: the smallest factor tried (note "
              "000)"),
           json(), {}, 0, kNoMax, tr("0.8 (basic) / 0.05 (optimized)")},
          {"tolerance", tr("Accuracy tolerance"), T::Real,
           tr("optimized: accuracy points in [0, 100) the shrunk network may lose (note 000)"), 1.0},
          {"profile_images", tr("Profile images"), T::Int,
           tr("optimized: training images on which the accuracy of each factor is measured (note 000)"), 2000, {}, 1},
          layers(conv, n000)}},
        {"bypass", tr("Bypass layers"),
         tr("Removes the named stages (layers flagged faulty) from the network, which keeps its accuracy when it was "
            "trained with sub-networks (sub-network abstract, paper 003)"),
         {{"layers", tr("Layers"), T::List,
           tr("The stages to remove, each keeping its input's shape (e.g. a residual block); required (paper 003)"),
           json::array(), {}, 0, kNoMax, tr("required, e.g. block2_1")}}},
    };
  }();
  return table;
}

const Scheme* find(const QString& name) {
  for (const Scheme& s : schemes())
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace

QStringList protection_schemes() {
  QStringList names;
  for (const Scheme& s : schemes()) names << s.name;
  return names;
}

QString protection_title(const QString& scheme) {
  const Scheme* s = find(scheme);
  return s ? s->title : scheme;
}

QString protection_tooltip(const QString& scheme) {
  const Scheme* s = find(scheme);
  return s ? s->tooltip : QObject::tr("Unknown protection scheme");
}

std::vector<FieldSpec> protection_fields(const QString& scheme) {
  const Scheme* s = find(scheme);
  return s ? s->fields : std::vector<FieldSpec>{};
}

}  // namespace faultscape::gui
