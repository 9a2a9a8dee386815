#include "node/log_text.hpp"

#include <gtest/gtest.h>

namespace p2psip::node {
namespace {

TEST(LogText, PrintableTextIsKept) {
  EXPECT_EQ(log_text("sip:alice@p2psip.test"), "sip:alice@p2psip.test");
}

TEST(LogText, LineBreaksEscapesAndQuotesCannotForgeALine) {
  EXPECT_EQ(log_text("bob\r\n2026-12-02 info call ok"), "bob\\x0d\\x0a2026-12-02 info call ok");
  EXPECT_EQ(log_text("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(log_text("a\"b\\c"), "a\\x22b\\x5cc");
  EXPECT_EQ(log_text(std::string_view("n\0l", 3)), "n\\x00l");
  EXPECT_EQ(log_text("\xc3\xa9"), "\\xc3\\xa9");
}

TEST(LogText, LongTextIsCutAndSaysSo) {
  const std::string long_user(1000, 'a');
  EXPECT_EQ(log_text(long_user, 10), "aaaaaaaaaa...");
  EXPECT_EQ(log_text("exactly10!", 10), "exactly10!");
}

}  // namespace
}  // namespace p2psip::node
