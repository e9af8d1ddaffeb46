/* SPDX-License-Identifier: BSD-3-Clause */
/* A size assertion that compiles in BPF C and in C++, for structs both sides share. */
#ifndef DMPD_COMMON_SHARED_ASSERT_H_
#define DMPD_COMMON_SHARED_ASSERT_H_

#ifdef __cplusplus
#define DMPD_SHARED_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define DMPD_SHARED_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#endif /* DMPD_COMMON_SHARED_ASSERT_H_ */
