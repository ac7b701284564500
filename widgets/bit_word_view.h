// A stored word drawn as its bits, most significant on the left: sign, exponent and mantissa fields
// coloured (an intN word: sign bit and magnitude bits), the flipped bits outlined, and the decoded
// value before and after. A click on a bit asks for that bit to be flipped (bit_clicked).
#pragma once
#include <nlohmann/json.hpp>

#include <QWidget>

namespace faultscape::widgets {

class BitWordView : public QWidget {
  Q_OBJECT
 public:
  explicit BitWordView(QWidget* parent = nullptr);
  // {"format", "bits", "sign_mask", "exponent_mask", "mantissa_mask", "before", "after",
  //  "value_before", "value_after"} (an explanation's "word"); null clears the view.
  void set_word(const nlohmann::json& word);
  const nlohmann::json& word() const { return word_; }
  // The bit under a point of the widget, or -1.
  int bit_at(const QPoint& p) const;
  QRect bit_rect(int bit) const;
  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 Q_SIGNALS:
  void bit_clicked(int bit);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;

 private:
  int bits() const { return word_.is_object() ? word_.value("bits", 0) : 0; }
  nlohmann::json word_;
};

// "0 10000001 01000000000000000000000" for display (fields separated for float formats).
QString bit_string(uint32_t word, int bits, uint32_t sign_mask, uint32_t exponent_mask);

}  // namespace faultscape::widgets
