#include "dns/update_message.hpp"

namespace p2psip::dns {
namespace {

// Rows that test or delete carry TTL 0 (RFC 2136 §2.4, §2.5.2–§2.5.4).
update_row row(std::string owner, std::string type, std::string rdata, rr_class cls) {
  return {{std::move(owner), std::move(type), std::move(rdata), 0}, cls};
}

}  // namespace

update_message& update_message::require_rrset_exists(const std::string& owner,
                                                     const std::string& type) {
  prerequisites_.push_back(row(owner, type, {}, rr_class::any));
  return *this;
}

update_message& update_message::require_rr(const record& rr) {
  prerequisites_.push_back(row(rr.owner, rr.type, rr.rdata, rr_class::zone));
  return *this;
}

update_message& update_message::require_rrset_absent(const std::string& owner,
                                                     const std::string& type) {
  prerequisites_.push_back(row(owner, type, {}, rr_class::none));
  return *this;
}

update_message& update_message::require_name_in_use(const std::string& owner) {
  prerequisites_.push_back(row(owner, "ANY", {}, rr_class::any));
  return *this;
}

update_message& update_message::require_name_unused(const std::string& owner) {
  prerequisites_.push_back(row(owner, "ANY", {}, rr_class::none));
  return *this;
}

update_message& update_message::add(const record& rr) {
  updates_.push_back({rr, rr_class::zone});
  return *this;
}

update_message& update_message::delete_rrset(const std::string& owner, const std::string& type) {
  updates_.push_back(row(owner, type, {}, rr_class::any));
  return *this;
}

update_message& update_message::delete_name(const std::string& owner) {
  updates_.push_back(row(owner, "ANY", {}, rr_class::any));
  return *this;
}

update_message& update_message::delete_rr(const record& rr) {
  updates_.push_back(row(rr.owner, rr.type, rr.rdata, rr_class::none));
  return *this;
}

}  // namespace p2psip::dns
