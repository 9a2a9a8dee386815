# One place for the flags every target of the project shares.
add_library(p2psip_options INTERFACE)
target_compile_options(p2psip_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
# asio decides whether to use aligned_alloc from a libstdc++ macro that only
# exists once a standard header has been included; a file that includes asio
# first would otherwise allocate with `new` what another frees with `free`.
target_compile_definitions(p2psip_options INTERFACE ASIO_HAS_STD_ALIGNED_ALLOC=1)
if(P2PSIP_WERROR)
  target_compile_options(p2psip_options INTERFACE -Werror)
  # GCC 12 at -O3 reports memcmp/memcpy bounds inside libstdc++'s own
  # std::string and std::vector code that cannot happen (GCC PR 105329,
  # 105651): kept visible as warnings, not build failures.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(p2psip_options INTERFACE -Wno-error=restrict -Wno-error=stringop-overread)
  endif()
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
