# One place for the flags every target of the project shares.
add_library(p2psip_options INTERFACE)
target_compile_options(p2psip_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
if(P2PSIP_WERROR)
  target_compile_options(p2psip_options INTERFACE -Werror)
endif()
if(P2PSIP_SANITIZE)
  target_compile_options(p2psip_options INTERFACE -fsanitize=address,undefined
                                                   -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(p2psip_options INTERFACE -fsanitize=address,undefined)
endif()
if(P2PSIP_BUILD_FUZZ)
  # The libraries are instrumented for coverage; each fuzz target links the libFuzzer driver.
  target_compile_options(p2psip_options INTERFACE -fsanitize=fuzzer-no-link)
endif()
