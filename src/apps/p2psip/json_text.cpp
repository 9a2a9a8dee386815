#include "json_text.hpp"

#include <array>
#include <string_view>

namespace p2psip::cli {
namespace {

using json = nlohmann::ordered_json;

// A scalar as an operator reads it: strings without quotes, empty containers
// as {} and [], numbers as the node sent them.
std::string scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "null";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool nested(const json& v) {
  return (v.is_object() || v.is_array()) && !v.empty();
}

void append_field(std::string& out, std::string_view key, const json& v, int indent) {
  out.append(static_cast<std::size_t>(indent), ' ');
  out += key;
  if (nested(v)) {
    out += ":\n";
    out += json_text(v, indent + 2);
  } else {
    out += ": " + scalar(v) + "\n";
  }
}

constexpr std::array<std::string_view, 5> binding_fields{"aor", "contact", "path", "expires_in",
                                                         "q"};

}  // namespace

std::string json_text(const json& value, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::string out;
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) append_field(out, key, v, indent);
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_object() && !item.empty()) {
        // "- " takes the place of the first field's indent, as YAML does.
        const auto fields = json_text(item, indent + 2);
        out += pad + "- " + fields.substr(pad.size() + 2);
      } else if (nested(item)) {
        out += pad + "-\n" + json_text(item, indent + 2);
      } else {
        out += pad + "- " + scalar(item) + "\n";
      }
    }
  } else {
    out += pad + scalar(value) + "\n";
  }
  return out;
}

std::string binding_text(const json& binding, int indent) {
  if (!binding.is_object()) return json_text(binding, indent);
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  std::string out;
  const auto line = [&](std::string_view label, const std::string& text) {
    out += pad;
    out += label;
    out.append(label.size() < 12 ? 12 - label.size() : 1, ' ');
    out += text + "\n";
  };
  if (binding.contains("aor")) line("aor:", scalar(binding["aor"]));
  if (binding.contains("contact")) line("contact:", scalar(binding["contact"]));
  if (binding.contains("path")) {
    const auto& path = binding["path"];
    std::string text;
    if (path.is_array()) {
      for (const auto& hop : path) text += (text.empty() ? "" : ", ") + scalar(hop);
      if (text.empty()) text = "(none: the phone is reached directly)";
    } else {
      text = scalar(path);
    }
    line("path:", text);
  }
  if (binding.contains("expires_in")) {
    const auto& expires = binding["expires_in"];
    line("expires in:", scalar(expires) + (expires.is_number() ? " s" : ""));
  }
  if (binding.contains("q")) line("q:", scalar(binding["q"]));
  for (const auto& [key, v] : binding.items()) {
    bool known = false;
    for (const auto field : binding_fields) known = known || key == field;
    if (!known) append_field(out, key, v, indent);
  }
  return out;
}

std::string node_line(const json& node, std::size_t id_width) {
  if (!node.is_object()) return scalar(node);
  std::string id = node.contains("id") ? scalar(node["id"]) : "?";
  std::string out = id;
  out.append(id.size() < id_width ? id_width - id.size() : 0, ' ');
  out += "  ";
  out += node.contains("address") ? scalar(node["address"]) : "?";
  for (const auto& [key, v] : node.items())
    if (key != "id" && key != "address")
      out += "  " + key + "=" +
             (nested(v) ? v.dump(-1, ' ', false, json::error_handler_t::replace) : scalar(v));
  return out;
}

}  // namespace p2psip::cli
