#include "ops/metrics_text.hpp"

#include <charconv>
#include <cmath>

namespace p2psip::ops {
namespace {

std::string_view type_name(metrics_text::kind k) {
  switch (k) {
    case metrics_text::kind::counter:
      return "counter";
    case metrics_text::kind::gauge:
      return "gauge";
    case metrics_text::kind::histogram:
      return "histogram";
  }
  return "untyped";
}

// HELP text escapes backslash and newline; label values also the quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (quote && c == '"')
      out += "\\\"";
    else
      out += c;
  }
}

// Integers as integers (counters are), the rest in the shortest form that
// reads back the same; the format's spellings for the non-finite.
void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    out += std::to_string(static_cast<std::int64_t>(v));
  } else {
    char digits[32];
    const auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
    out.append(digits, end);
  }
}

}  // namespace

void metrics_text::family(std::string_view name, kind k, std::string_view help) {
  name_ = name;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  append_escaped(out_, help, false);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += type_name(k);
  out_ += '\n';
}

void metrics_text::line(std::string_view suffix, labels l, std::string_view extra_name,
                        std::string_view extra_value, double value) {
  out_ += name_;
  out_ += suffix;
  if (l.size() != 0 || !extra_name.empty()) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view n, std::string_view v) {
      if (!first) out_ += ',';
      first = false;
      out_ += n;
      out_ += "=\"";
      append_escaped(out_, v, true);
      out_ += '"';
    };
    for (const auto& [n, v] : l) add(n, v);
    if (!extra_name.empty()) add(extra_name, extra_value);
    out_ += '}';
  }
  out_ += ' ';
  append_value(out_, value);
  out_ += '\n';
}

void metrics_text::sample(double value, labels l) {
  line("", l, {}, {}, value);
}

void metrics_text::histogram(const histogram_view& h, labels l) {
  std::uint64_t cumulative = 0;
  std::string bound;
  for (std::size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    bound.clear();
    append_value(bound, h.bounds[i]);
    line("_bucket", l, "le", bound, static_cast<double>(cumulative));
  }
  cumulative += h.counts[h.bounds.size()];
  line("_bucket", l, "le", "+Inf", static_cast<double>(cumulative));
  line("_sum", l, {}, {}, h.sum);
  line("_count", l, {}, {}, static_cast<double>(cumulative));
}

}  // namespace p2psip::ops
