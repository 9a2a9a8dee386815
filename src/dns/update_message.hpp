// An RFC 2136 UPDATE as a value: the zone (§2.3), the prerequisites that
// must all hold for anything to change (§2.4), and the changes, applied
// together or not at all (§2.5). Each call below is one row of those
// sections; the class and TTL each row needs are set here, so a caller
// says what it means ("this RRset must not exist") rather than how the
// RFC encodes it (class NONE, TTL 0, no RDATA).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace p2psip::dns {

// One resource record in presentation form. Names are absolute (end in
// '.'); `type` is a mnemonic ("A", "SRV", "NAPTR"); `rdata` is the zone
// file text of the data ("10 10 5060 pp1.p2psip.test.").
struct record {
  std::string owner;
  std::string type;
  std::string rdata;
  std::uint32_t ttl = 0;
  friend bool operator==(const record&, const record&) = default;
};

// How a row is encoded (RFC 2136 §2.4, §2.5): with the zone's class (IN),
// or with class ANY or NONE, which turn the row into a test or a deletion.
enum class rr_class { zone, any, none };

struct update_row {
  record rr;  // type "ANY" for rows about a whole name; rdata empty when the row has none
  rr_class cls = rr_class::zone;
  friend bool operator==(const update_row&, const update_row&) = default;
};

class update_message {
 public:
  explicit update_message(std::string zone) : zone_(std::move(zone)) {}

  // §2.4.1: an RRset of this type exists at `owner`.
  update_message& require_rrset_exists(const std::string& owner, const std::string& type);
  // §2.4.2: the RRset of rr.owner and rr.type is exactly these records;
  // call it once for every record of the RRset.
  update_message& require_rr(const record& rr);
  // §2.4.3: no RRset of this type exists at `owner`.
  update_message& require_rrset_absent(const std::string& owner, const std::string& type);
  // §2.4.4: `owner` owns at least one RR.
  update_message& require_name_in_use(const std::string& owner);
  // §2.4.5: `owner` owns no RR.
  update_message& require_name_unused(const std::string& owner);

  // §2.5.1: adds `rr` to its RRset; adding a record already there changes
  // nothing (§3.4.2.2), so an add can be repeated.
  update_message& add(const record& rr);
  // §2.5.2: deletes the RRset of this type at `owner`.
  update_message& delete_rrset(const std::string& owner, const std::string& type);
  // §2.5.3: deletes every RRset at `owner`.
  update_message& delete_name(const std::string& owner);
  // §2.5.4: deletes the one record equal to `rr` (its TTL does not matter).
  update_message& delete_rr(const record& rr);

  const std::string& zone() const { return zone_; }
  const std::vector<update_row>& prerequisites() const { return prerequisites_; }
  const std::vector<update_row>& updates() const { return updates_; }

 private:
  std::string zone_;
  std::vector<update_row> prerequisites_;
  std::vector<update_row> updates_;
};

}  // namespace p2psip::dns
