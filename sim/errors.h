/*
 * Error codes of the dsim kernel. Every public function that can fail returns 0
 * on success or one of these negative codes; sim_strerror() names it in words.
 * SIM_ASSERT is the always-on invariant check (it is not compiled out by NDEBUG):
 * a broken invariant stops the run with file and line, never silently goes on.
 */
#ifndef SIM_ERRORS_H
#define SIM_ERRORS_H

enum {
    SIM_OK = 0,
    SIM_EINVAL = -1,   /* an argument is out of range or malformed */
    SIM_ENOMEM = -2,   /* an allocation failed */
    SIM_ENOENT = -3,   /* no such node, timer, scenario or file */
    SIM_EEXIST = -4,   /* a name is already taken */
    SIM_ESTATE = -5,   /* the operation is not allowed in this state (e.g. node down) */
    SIM_EIO = -6,      /* reading or writing a file failed */
    SIM_ELIMIT = -7,   /* a configured limit (budget, memory cap) was reached */
};

const char *sim_strerror(int code);

void sim_assert_fail(const char *expr, const char *file, int line);

#define SIM_ASSERT(expr) \
    ((expr) ? (void)0 : sim_assert_fail(#expr, __FILE__, __LINE__))

#endif
