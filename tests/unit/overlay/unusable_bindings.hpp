// Bindings a signer with a good certificate could sign, buggy or hostile,
// whose contents readers would otherwise put into the Request-URI and Route
// of the requests they forward. Each is a good binding with one field spoiled.
#pragma once

#include <string>
#include <vector>

#include "overlay/record_content.hpp"
#include "overlay/records.hpp"

namespace p2psip::overlay::testing {

struct unusable_binding {
  std::string what;
  binding_record record;
  content_fault fault;
};

inline std::vector<unusable_binding> unusable_bindings(const binding_record& good) {
  std::vector<unusable_binding> out;
  auto spoil = [&](std::string what, content_fault fault, auto change) {
    binding_record b = good;
    change(b);
    out.push_back({std::move(what), std::move(b), fault});
  };
  spoil("CR LF in the contact", content_fault::control_character, [](binding_record& b) {
    b.contact = "sip:alice@192.0.2.10:5060\r\nRoute: <sip:203.0.113.9;lr>";
  });
  spoil("a NUL in the instance", content_fault::control_character,
        [](binding_record& b) { b.instance = std::string("<urn:uuid:1>\0x", 14); });
  spoil("a tel: contact", content_fault::contact_not_sip,
        [](binding_record& b) { b.contact = "tel:+1-555-0100"; });
  spoil("an http: contact", content_fault::contact_not_sip,
        [](binding_record& b) { b.contact = "http://192.0.2.10/alice"; });
  spoil("a contact that is no URI", content_fault::contact_not_sip,
        [](binding_record& b) { b.contact = "<sip:alice@192.0.2.10>"; });
  spoil("a contact with headers", content_fault::contact_has_headers,
        [](binding_record& b) { b.contact = "sip:alice@192.0.2.10?Route=%3Csip:203.0.113.9%3E"; });
  spoil("a path entry with headers", content_fault::path_entry_has_headers,
        [](binding_record& b) { b.path = {"<sip:node-a@127.0.0.1;lr?Subject=x>"}; });
  spoil("an oversize path entry", content_fault::path_entry_too_long, [](binding_record& b) {
    b.path = {"<sip:" + std::string(content_limits::path_entry, 'a') + "@127.0.0.1;lr>"};
  });
  spoil("too many path entries", content_fault::too_many_path_entries, [](binding_record& b) {
    b.path.assign(content_limits::path_entries + 1, "<sip:127.0.0.1:5070;lr>");
  });
  spoil("a path entry that is no name-addr", content_fault::path_entry_not_name_addr,
        [](binding_record& b) { b.path = {"<sip:node-a@127.0.0.1;lr"}; });
  spoil("two Route values in one path entry", content_fault::path_entry_not_name_addr,
        [](binding_record& b) { b.path = {"<sip:node-a@127.0.0.1;lr>, <sip:203.0.113.9;lr>"}; });
  spoil("a path entry to a tel: URI", content_fault::path_entry_not_sip,
        [](binding_record& b) { b.path = {"<tel:+1-555-0100>"}; });
  spoil("an instance that ends its quotes", content_fault::instance_not_quotable,
        [](binding_record& b) { b.instance = "<urn:uuid:1>\";expires=0;x=\""; });
  spoil("an oversize instance", content_fault::instance_too_long, [](binding_record& b) {
    b.instance = "<urn:x:" + std::string(content_limits::instance, 'a') + ">";
  });
  return out;
}

}  // namespace p2psip::overlay::testing
