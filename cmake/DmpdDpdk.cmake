# dmpd::dpdk: DPDK 22.11 from Debian, with the two things pkg-config gets wrong for us.
#  - rte_bus_vdev is not in `pkg-config --libs libdpdk`, yet rte_vdev_init needs it.
#  - DPDK headers must be SYSTEM includes (else C++20 warns in rte_spinlock.h and more),
#    and every user needs the -march pkg-config reports (inlined SSE otherwise mismatches).
add_library(dmpd_dpdk INTERFACE)
add_library(dmpd::dpdk ALIAS dmpd_dpdk)
target_include_directories(dmpd_dpdk SYSTEM INTERFACE ${DPDK_INCLUDE_DIRS})
target_compile_options(dmpd_dpdk INTERFACE ${DPDK_CFLAGS_OTHER})
target_link_libraries(dmpd_dpdk INTERFACE ${DPDK_LINK_LIBRARIES} rte_bus_vdev)
