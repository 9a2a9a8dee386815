// The node's JSON answers as text for a terminal: "key: value" lines, nested
// objects and lists indented. The node's field names are not fixed yet, so
// apart from the binding and node lists nothing here knows a field by name,
// and a field it does not know is printed rather than dropped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace p2psip::cli {

// Any value: an object as "key: value" lines, a list as "- item" lines.
std::string json_text(const nlohmann::ordered_json& value, int indent = 0);

// One binding: contact, path, expires_in, q (and aor when present) first,
// then every other field. `indent` is the indent of its lines.
std::string binding_text(const nlohmann::ordered_json& binding, int indent);

// One line per node: its id, its address, then any other field as key=value.
std::string node_line(const nlohmann::ordered_json& node, std::size_t id_width);

}  // namespace p2psip::cli
