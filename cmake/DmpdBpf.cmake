# dmpd_bpf_object(NAME SOURCE) compiles bpf/NAME.bpf.c with clang for the BPF target and
# generates NAME.skel.h with bpftool; target NAME_skel carries the include path. The
# skeleton embeds the object, so the daemon needs no path to a .o at run time.
find_program(DMPD_CLANG NAMES clang clang-14 REQUIRED)
find_program(DMPD_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

execute_process(COMMAND ${CMAKE_C_COMPILER} -print-multiarch
                OUTPUT_VARIABLE DMPD_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)

# The compile rule alone: NAME.bpf.o from SOURCE (further arguments: headers it depends on).
function(dmpd_bpf_compile name source)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  add_custom_command(
    OUTPUT ${obj}
    COMMAND ${DMPD_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86
            -Wall -Wextra -Werror
            -I${PROJECT_SOURCE_DIR} -I${CMAKE_CURRENT_SOURCE_DIR}/include
            -I/usr/include/${DMPD_MULTIARCH}
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${source} -o ${obj}
    DEPENDS ${source} ${ARGN}
    IMPLICIT_DEPENDS C ${CMAKE_CURRENT_SOURCE_DIR}/${source}
    COMMENT "BPF ${name}.bpf.o"
    VERBATIM)
endfunction()

function(dmpd_bpf_object name source)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
  set(skel ${CMAKE_CURRENT_BINARY_DIR}/${name}.skel.h)
  dmpd_bpf_compile(${name} ${source} ${ARGN})
  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${DMPD_BPFTOOL} gen skeleton ${obj} name ${name} > ${skel}
    DEPENDS ${obj}
    COMMENT "BPF skeleton ${name}.skel.h"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel} ${obj})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${CMAKE_CURRENT_BINARY_DIR})
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()

# dmpd_bpf_plain_object(NAME SOURCE) builds NAME.bpf.o only (target NAME_bpf, part of
# `all`), for programs that a tool loads from the file (bpftool, tc) rather than a
# skeleton: the lab's loss program.
function(dmpd_bpf_plain_object name source)
  dmpd_bpf_compile(${name} ${source} ${ARGN})
  add_custom_target(${name}_bpf ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/${name}.bpf.o)
endfunction()
