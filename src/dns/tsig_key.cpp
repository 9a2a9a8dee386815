#include "dns/tsig_key.hpp"

#include <cctype>
#include <optional>
#include <string_view>
#include <vector>

#include "dns/detail/ldns_handles.hpp"
#include "secrets/private_file.hpp"

namespace p2psip::dns {
namespace {

// named.conf's lexical rules, as far as a key file uses them: words,
// quoted strings (no escapes in a name or a base64 secret), braces,
// semicolons, and the three comment styles.
struct token {
  enum kind { word, string, open, close, semicolon } what;
  std::string text;
};

struct lexed {
  std::vector<token> tokens;
  std::string error;
};

std::size_t skip_space_and_comments(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s[i] == '#' || s.substr(i, 2) == "//") {
      i = s.find('\n', i);
      if (i == std::string_view::npos) return s.size();
    } else if (s.substr(i, 2) == "/*") {
      const auto end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else {
      break;
    }
  }
  return i;
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

lexed lex(std::string_view s) {
  lexed out;
  for (std::size_t i = skip_space_and_comments(s, 0); i < s.size();
       i = skip_space_and_comments(s, i)) {
    const char c = s[i];
    if (c == '{' || c == '}' || c == ';') {
      out.tokens.push_back({c == '{'   ? token::open
                            : c == '}' ? token::close
                                       : token::semicolon,
                            {}});
      ++i;
    } else if (c == '"') {
      const auto end = s.find('"', i + 1);
      if (end == std::string_view::npos) return {{}, "a quoted string does not end"};
      out.tokens.push_back({token::string, std::string(s.substr(i + 1, end - i - 1))});
      i = end + 1;
    } else if (word_char(c)) {
      const auto start = i;
      while (i < s.size() && word_char(s[i])) ++i;
      out.tokens.push_back({token::word, std::string(s.substr(start, i - start))});
    } else {
      return {{}, "unexpected character at offset " + std::to_string(i)};
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Why an algorithm other than the two we sign with is refused, so that the
// operator knows what to run instead.
std::string refused_algorithm(const std::string& name) {
  const auto fix = "; make the key with: tsig-keygen -a hmac-sha256 NAME";
  if (name == "hmac-md5" || name == "hmac-md5.sig-alg.reg.int")
    return "algorithm " + name + " refused: RFC 8945 §6 says HMAC-MD5 MUST NOT be used" + fix;
  if (name == "hmac-sha1")
    return "algorithm " + name + " refused: RFC 8945 §6 says HMAC-SHA1 is NOT RECOMMENDED" + fix;
  if (name == "hmac-sha384")
    return "algorithm " + name +
           " refused: ldns 1.8 misspells it (hmac-shac384.), so no server verifies what it "
           "signs" +
           fix;
  return "algorithm " + name +
         " refused: only hmac-sha256 (RFC 8945 §6: MUST be implemented) and hmac-sha512 are "
         "supported" +
         fix;
}

std::optional<tsig_algorithm> algorithm_named(const std::string& name) {
  if (name == "hmac-sha256") return tsig_algorithm::hmac_sha256;
  if (name == "hmac-sha512") return tsig_algorithm::hmac_sha512;
  return std::nullopt;
}

// The key name as an absolute, lower-case domain name, or empty when it is
// not a domain name (RFC 8945 §4.2: the TSIG owner name).
std::string key_domain_name(const std::string& name) {
  if (name.empty()) return {};
  const detail::rdf_ptr rdf(ldns_dname_new_frm_str(name.c_str()));
  if (!rdf) return {};
  ldns_dname2canonical(rdf.get());
  const detail::text_ptr text(ldns_rdf2str(rdf.get()));
  return text ? std::string(text.get()) : std::string();
}

// RFC 4648 §4 base64 with its padding, as tsig-keygen writes it.
bool is_base64_secret(std::string_view secret) {
  if (secret.empty() || secret.size() % 4 != 0) return false;
  const auto data = secret.substr(0, secret.find_last_not_of('=') + 1);
  if (secret.size() - data.size() > 2) return false;
  for (const char c : data)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/') return false;
  return true;
}

// key NAME { algorithm ALG; secret "B64"; };
class key_statement {
 public:
  explicit key_statement(const std::vector<token>& t) : t_(t) {}

  std::string parse(tsig_key& key) {
    if (!next_is(token::word, "key")) return "expected a key statement";
    std::string name;
    if (!take_name(name)) return "expected the key's name after \"key\"";
    if (!next_is(token::open)) return "expected { after the key's name";
    std::optional<std::string> algorithm, secret;
    while (!next_is(token::close)) {
      if (at_end()) return "the key statement does not end";
      if (next_is(token::word, "algorithm")) {
        std::string value;
        if (!take_name(value) || !next_is(token::semicolon)) return "malformed algorithm clause";
        algorithm = lower(value);
      } else if (next_is(token::word, "secret")) {
        if (at_end() || t_[i_].what != token::string) return "the secret is not a quoted string";
        secret = t_[i_++].text;
        if (!next_is(token::semicolon)) return "expected ; after the secret";
      } else {
        return "unexpected clause in the key statement";
      }
    }
    if (!next_is(token::semicolon)) return "expected ; after the key statement";
    if (!at_end()) return "more than one statement; the file must hold exactly one key";
    if (!algorithm) return "the key has no algorithm";
    if (!secret) return "the key has no secret";
    const auto alg = algorithm_named(*algorithm);
    if (!alg) return refused_algorithm(*algorithm);
    if (!is_base64_secret(*secret)) return "the secret is not base64";
    key.name = key_domain_name(name);
    if (key.name.empty()) return "the key's name is not a domain name";
    key.algorithm = *alg;
    key.secret = *secret;
    return {};
  }

 private:
  bool at_end() const { return i_ >= t_.size(); }
  bool next_is(token::kind k, std::string_view text = {}) {
    if (at_end() || t_[i_].what != k || (!text.empty() && t_[i_].text != text)) return false;
    ++i_;
    return true;
  }
  // A name may be written as a word or quoted.
  bool take_name(std::string& out) {
    if (at_end() || (t_[i_].what != token::word && t_[i_].what != token::string)) return false;
    out = t_[i_++].text;
    return true;
  }

  const std::vector<token>& t_;
  std::size_t i_ = 0;
};

}  // namespace

tsig_key_file parse_tsig_key(std::string_view text, const std::string& source) {
  const auto lexed = lex(text);
  if (!lexed.error.empty()) return {{}, source + ": not a BIND key file: " + lexed.error};
  tsig_key key;
  if (auto why = key_statement(lexed.tokens).parse(key); !why.empty())
    return {{}, source + ": not a usable BIND key file: " + why};
  return {std::move(key), {}};
}

tsig_key_file read_tsig_key(const std::filesystem::path& path) {
  auto file = secrets::read_private_file(path);
  if (!file) return {{}, file.error};
  return parse_tsig_key(file.text, path.string());
}

const char* wire_name(tsig_algorithm a) {
  switch (a) {
    case tsig_algorithm::hmac_sha256:
      return "hmac-sha256.";
    case tsig_algorithm::hmac_sha512:
      return "hmac-sha512.";
  }
  return "hmac-sha256.";
}

}  // namespace p2psip::dns
